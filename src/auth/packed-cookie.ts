/**
 * A compact form of the Set-Cookie value the credential cache repeats to clients: the cookie's
 * name and attributes shared between entries, the session cookie value (`<id>.<mac>`, two
 * 32-byte base64url segments) kept as its 64 bytes. Anything else is kept as it was.
 */

import { InternTable } from '../sessions/index.js';

export type PackedCookie = string | { readonly name: string; readonly bytes: string; readonly attributes: string };

const SESSION_VALUE = /^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/;
const SEGMENT_BYTES = 32;
const shared = new InternTable(256);

export function packCookie(setCookie: string): PackedCookie {
  const equals = setCookie.indexOf('=');
  const semicolon = setCookie.indexOf(';');
  const end = semicolon === -1 ? setCookie.length : semicolon;
  const value = setCookie.slice(equals + 1, end);
  if (equals < 1 || equals > end || !SESSION_VALUE.test(value)) return setCookie;
  const id = Buffer.from(value.slice(0, 43), 'base64url');
  const mac = Buffer.from(value.slice(44), 'base64url');
  // Only exact round trips: a non-canonical last character would come back as another text.
  if (id.toString('base64url') !== value.slice(0, 43) || mac.toString('base64url') !== value.slice(44)) return setCookie;
  return {
    name: shared.intern(setCookie.slice(0, equals + 1)),
    bytes: Buffer.concat([id, mac]).toString('latin1'),
    attributes: shared.intern(setCookie.slice(end)),
  };
}

export function unpackCookie(packed: PackedCookie): string {
  if (typeof packed === 'string') return packed;
  const raw = Buffer.from(packed.bytes, 'latin1');
  return `${packed.name}${raw.toString('base64url', 0, SEGMENT_BYTES)}.${raw.toString('base64url', SEGMENT_BYTES)}${packed.attributes}`;
}
