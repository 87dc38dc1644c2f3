/**
 * Extra upstream headers from the user's `additionalHeaders` attribute (authentik's documented
 * attribute; user attributes merged over their groups', as the IdP sends them in
 * `ak_proxy.user_attributes`). The attribute is the user's to edit, or a group admin's: every
 * entry is checked like a static `additionalHeaders` name, values made header-safe, and the map
 * bounded, so no attribute can spoof an identity header, a credential or the framing.
 */

import type { Identity } from '../auth/index.js';
import { extraHeaderProblem } from '../config/index.js';
import { BoundedMemo } from '../memo/index.js';
import { headerSafe } from './header-value.js';
import type { HeaderEntries } from './identity-headers.js';

export const ATTRIBUTE = 'additionalHeaders';
/** More than any app needs; a bound so an attribute cannot bloat every request. */
export const MAX_ATTRIBUTE_HEADERS = 32;
export const MAX_ATTRIBUTE_HEADER_BYTES = 8 * 1024;

export interface RefusedHeader {
  readonly name: string;
  readonly reason: string;
}

export interface AttributeHeaders {
  readonly entries: HeaderEntries;
  readonly refused: readonly RefusedHeader[];
}

/**
 * Names an attribute may not set beyond what a static header may not: they would act on the
 * forward-auth answer (cookies, caching, redirects, challenges, CORS) or on the upstream's
 * reading of the body.
 */
const RESPONSE_SIDE = /^(?:set-cookie|cache-control|expires|age|etag|last-modified|location|refresh|vary|via|date|server|retry-after|www-authenticate|proxy-authenticate|strict-transport-security|alt-svc|content-.*|access-control-.*|x-portcullis-.*)$/;

const NONE: AttributeHeaders = Object.freeze({ entries: Object.freeze([]), refused: Object.freeze([]) });
const BY_IDENTITY = new WeakMap<Identity, AttributeHeaders>();
// Identities rebuilt per request (sessions read from Redis) carry equal maps: the answer is
// remembered per map's content too, bounded, so it is computed (and logged) once per content.
const BY_CONTENT = new BoundedMemo<string, AttributeHeaders>(1024);

/**
 * The identity's attribute headers, computed once per identity and per distinct map;
 * `onRefused` hears of refused entries then, so they are logged once, not per request.
 */
export function attributeHeaders(identity: Identity, onRefused?: (identity: Identity, refused: readonly RefusedHeader[]) => void): AttributeHeaders {
  const known = BY_IDENTITY.get(identity);
  if (known !== undefined) return known;
  const map = identity.attributes[ATTRIBUTE];
  if (map === undefined || map === null) {
    BY_IDENTITY.set(identity, NONE);
    return NONE;
  }
  const content = JSON.stringify(map);
  let memo = BY_CONTENT.get(content);
  if (memo === undefined) {
    memo = BY_CONTENT.remember(content, compute(map));
    if (memo.refused.length > 0) onRefused?.(identity, memo.refused);
  }
  BY_IDENTITY.set(identity, memo);
  return memo;
}

function compute(map: unknown): AttributeHeaders {
  if (typeof map !== 'object' || Array.isArray(map)) {
    return { entries: [], refused: [{ name: ATTRIBUTE, reason: 'the attribute is not a mapping of header name to value' }] };
  }
  const entries: (readonly [string, string])[] = [];
  const refused: RefusedHeader[] = [];
  const seen = new Set<string>();
  let bytes = 0;
  for (const [name, raw] of Object.entries(map as Record<string, unknown>)) {
    const lower = name.toLowerCase();
    const problem = extraHeaderProblem(name) ?? (RESPONSE_SIDE.test(lower) ? `"${name}" cannot be set from an attribute` : null) ?? valueProblem(raw);
    const value = problem === null ? headerSafe(String(raw)) : '';
    if (problem !== null) refused.push({ name: shown(name), reason: problem });
    else if (seen.has(lower)) refused.push({ name: shown(name), reason: 'duplicate header name (names are case-insensitive)' });
    else if (entries.length >= MAX_ATTRIBUTE_HEADERS) refused.push({ name: shown(name), reason: `more than ${MAX_ATTRIBUTE_HEADERS} headers` });
    else if (bytes + name.length + value.length > MAX_ATTRIBUTE_HEADER_BYTES) refused.push({ name: shown(name), reason: `more than ${MAX_ATTRIBUTE_HEADER_BYTES} bytes in all` });
    else {
      seen.add(lower);
      bytes += name.length + value.length;
      entries.push(Object.freeze([lower, value] as const));
    }
  }
  return Object.freeze({ entries: Object.freeze(entries), refused: Object.freeze(refused) });
}

function valueProblem(value: unknown): string | null {
  // A CR or LF would split the line; refused rather than encoded, so nobody relies on it.
  if (typeof value === 'string') return /[\x00-\x1f\x7f]/.test(value) ? 'the value holds control characters (CR, LF, NUL…)' : null;
  if (typeof value === 'number' && Number.isFinite(value)) return null;
  return `expected a string or a number, got ${value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value}`;
}

/** A name as logs show it: bounded, and header-safe (it is the user's text). */
function shown(name: string): string {
  return headerSafe(name.length > 64 ? `${name.slice(0, 64)}…` : name);
}
