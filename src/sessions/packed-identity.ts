/**
 * A compact, lossless form of what a session (or a cached credential) knows about a user,
 * for the in-process stores, which hold up to 100,000 of them:
 *  - one Latin-1 string (one byte a character, no pointers for the collector to follow);
 *  - tokens made of base64url segments (JWTs) kept as their bytes, a quarter smaller, with the
 *    access token's header segment shared between sessions;
 *  - the claims not kept at all when they are exactly the access token's payload (a JWT checked
 *    locally), else kept once as JSON;
 *  - username, email, name, groups, entitlements and attributes kept as the claim path they
 *    were read from when they equal what is there (the attributes are the claims'
 *    `ak_proxy.user_attributes`: they are not stored a second time), else as values.
 * `unpackIdentity(packIdentity(x))` equals `x` as JSON values (what a Redis round trip keeps).
 * The form protects nothing: it lives in process memory, as the objects it replaces did.
 */

import { InternTable } from './intern.js';
import type { JsonValue, SessionOrigin } from './store.js';

type JsonObject = Readonly<Record<string, JsonValue>>;

/** The fields packed; `sub`, tokens and expiry named as in `SessionData`. */
export interface IdentityParts {
  readonly sub: string;
  readonly username: string;
  readonly email: string;
  readonly name: string;
  readonly groups: readonly string[];
  readonly entitlements: readonly string[];
  readonly attributes: JsonObject;
  readonly claims: JsonObject;
  readonly accessToken: string;
  readonly idToken?: string;
  readonly refreshToken?: string;
  readonly tokenExpiresAt: number;
  readonly method: SessionOrigin;
}

export interface PackedIdentity {
  /** Latin-1: 4 bytes of layout length, the layout as UTF-8 JSON, then the token bytes. */
  readonly bytes: string;
  /** The access token's first segment, shared, when it was split off. */
  readonly head: string | undefined;
}

/** Token: the token itself, or [head split off (0|1), byte length of each base64url segment…]. */
type TokenLayout = string | readonly number[];
/** Field: [0, value] or [1, …claim path]. */
type FieldLayout = readonly JsonValue[];
/** The fields' layouts, or the number of a shared copy of them (they repeat for every user of an IdP). */
type FieldsLayout = readonly FieldLayout[] | number;
type Layout = readonly [
  access: TokenLayout,
  id: TokenLayout | null,
  refresh: TokenLayout | null,
  claims: JsonObject | 0,
  fields: FieldsLayout,
  tokenExpiresAt: number | string,
  method: SessionOrigin,
];

const FIELDS = ['sub', 'username', 'email', 'name', 'groups', 'entitlements', 'attributes'] as const;
const CLAIMS_FROM_TOKEN = 0;
const heads = new InternTable(256);

export function packIdentity(parts: IdentityParts): PackedIdentity {
  const tail: Buffer[] = [];
  const segments = base64urlSegments(parts.accessToken);
  let head: string | undefined;
  let access: TokenLayout = parts.accessToken;
  if (segments !== null && segments.length > 1) {
    head = heads.intern(parts.accessToken.slice(0, parts.accessToken.indexOf('.')));
    const rest = segments.slice(1);
    tail.push(...rest);
    access = [1, ...rest.map((segment) => segment.length)];
  } else if (segments !== null) {
    tail.push(...segments);
    access = [0, ...segments.map((segment) => segment.length)];
  }
  const claimsFromToken = segments !== null && segments.length > 1 && sameJson(parts.claims, parseJsonText(segments[1]!.toString('utf8')));
  const layout: Layout = [
    access,
    optionalToken(parts.idToken, tail),
    optionalToken(parts.refreshToken, tail),
    claimsFromToken ? CLAIMS_FROM_TOKEN : parts.claims,
    shapes.numberOf(FIELDS.map((field) => fieldLayout(parts[field], parts.claims))),
    // JSON has no Infinity: a non-finite expiry travels as text.
    Number.isFinite(parts.tokenExpiresAt) ? parts.tokenExpiresAt : String(parts.tokenExpiresAt),
    parts.method,
  ];
  const layoutBytes = Buffer.from(JSON.stringify(layout), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(layoutBytes.length);
  return { bytes: Buffer.concat([length, layoutBytes, ...tail]).toString('latin1'), head };
}

export function unpackIdentity(packed: PackedIdentity): IdentityParts {
  const raw = Buffer.from(packed.bytes, 'latin1');
  const layoutEnd = 4 + raw.readUInt32BE(0);
  const [access, id, refresh, storedClaims, fields, tokenExpiresAt, method] = JSON.parse(raw.toString('utf8', 4, layoutEnd)) as Layout;
  const reader = { raw, at: layoutEnd };
  // The payload is the access token's second segment: the first in the bytes when the head was split off.
  const payloadStart = typeof access === 'string' ? -1 : access[0] === 1 ? layoutEnd : layoutEnd + (access[1] ?? 0);
  const accessToken = readToken(access, reader, packed.head);
  const idToken = id === null ? undefined : readToken(id, reader, undefined);
  const refreshToken = refresh === null ? undefined : readToken(refresh, reader, undefined);
  const payloadLength = typeof access === 'string' ? 0 : access[0] === 1 ? (access[1] ?? 0) : (access[2] ?? 0);
  const claims = storedClaims === CLAIMS_FROM_TOKEN ? (JSON.parse(raw.toString('utf8', payloadStart, payloadStart + payloadLength)) as JsonObject) : storedClaims;
  const [sub, username, email, name, groups, entitlements, attributes] = shapes.layoutOf(fields).map((field) => fieldValue(field, claims));
  return {
    sub: sub as string,
    username: username as string,
    email: email as string,
    name: name as string,
    groups: groups as readonly string[],
    entitlements: entitlements as readonly string[],
    attributes: attributes as JsonObject,
    claims,
    accessToken,
    ...(idToken === undefined ? {} : { idToken }),
    ...(refreshToken === undefined ? {} : { refreshToken }),
    tokenExpiresAt: Number(tokenExpiresAt),
    method,
  };
}

/** Whether a value is made only of what JSON can carry (so packing it loses nothing). */
export function isJsonValue(value: unknown, depth = 0): value is JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  if (typeof value !== 'object' || depth > 64) return false;
  if (Array.isArray(value)) return value.every((item) => isJsonValue(item, depth + 1));
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return false;
  return Object.values(value).every((item) => isJsonValue(item, depth + 1));
}

/** The segments' bytes, when the token is base64url segments joined by dots that re-encode exactly. */
function base64urlSegments(token: string): Buffer[] | null {
  if (token === '') return null;
  const segments = token.split('.');
  const bytes: Buffer[] = [];
  for (const segment of segments) {
    const decoded = Buffer.from(segment, 'base64url');
    // Node decodes leniently (skips stray characters, ignores extra bits): only exact round trips.
    if (decoded.toString('base64url') !== segment) return null;
    bytes.push(decoded);
  }
  return bytes;
}

function optionalToken(token: string | undefined, tail: Buffer[]): TokenLayout | null {
  if (token === undefined) return null;
  const segments = base64urlSegments(token);
  if (segments === null) return token;
  tail.push(...segments);
  return [0, ...segments.map((segment) => segment.length)];
}

function readToken(layout: TokenLayout, reader: { raw: Buffer; at: number }, head: string | undefined): string {
  if (typeof layout === 'string') return layout;
  const parts: string[] = layout[0] === 1 && head !== undefined ? [head] : [];
  for (let i = 1; i < layout.length; i += 1) {
    const end = reader.at + layout[i]!;
    parts.push(reader.raw.toString('base64url', reader.at, end));
    reader.at = end;
  }
  return parts.join('.');
}

/**
 * Field layouts that are all claim paths, numbered: process-wide and never forgotten, so a
 * number stays valid for every packed form; bounded, so varied input is simply kept inline.
 */
class ShapeTable {
  readonly #layouts: (readonly FieldLayout[])[] = [];
  readonly #numbers = new Map<string, number>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  numberOf(layouts: readonly FieldLayout[]): FieldsLayout {
    // Only paths: a literal value is one user's, and would fill the table with one-offs.
    if (layouts.some((layout) => layout[0] !== 1)) return layouts;
    const text = JSON.stringify(layouts);
    const known = this.#numbers.get(text);
    if (known !== undefined) return known;
    if (this.#layouts.length >= this.#max) return layouts;
    this.#layouts.push(layouts);
    this.#numbers.set(text, this.#layouts.length - 1);
    return this.#layouts.length - 1;
  }

  layoutOf(fields: FieldsLayout): readonly FieldLayout[] {
    if (typeof fields !== 'number') return fields;
    const layouts = this.#layouts[fields];
    if (layouts === undefined) throw new Error(`packed identity names unknown field layout ${fields}`);
    return layouts;
  }
}

const shapes = new ShapeTable(256);

function fieldLayout(value: JsonValue, claims: JsonObject): FieldLayout {
  const path = pathOf(value, claims);
  return path === null ? [0, value] : [1, ...path];
}

/** A path (at most two keys deep) under which the claims hold exactly `value`. */
function pathOf(value: JsonValue, claims: JsonObject): readonly string[] | null {
  if (typeof value === 'string') {
    for (const key of Object.keys(claims)) if (claims[key] === value) return [key];
    return null;
  }
  const text = JSON.stringify(value);
  for (const [key, claim] of Object.entries(claims)) {
    if (claim !== null && typeof claim === 'object') {
      if (JSON.stringify(claim) === text) return [key];
      if (!Array.isArray(claim)) {
        for (const [inner, nested] of Object.entries(claim)) {
          if (nested !== null && typeof nested === 'object' && JSON.stringify(nested) === text) return [key, inner];
        }
      }
    }
  }
  return null;
}

function fieldValue(layout: FieldLayout, claims: JsonObject): JsonValue {
  if (layout[0] === 0) return layout[1]!;
  let value: JsonValue = claims;
  for (let i = 1; i < layout.length; i += 1) value = (value as JsonObject)[layout[i] as string]!;
  return value;
}

function sameJson(value: JsonValue, other: unknown): boolean {
  return other !== undefined && JSON.stringify(value) === JSON.stringify(other);
}

function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
