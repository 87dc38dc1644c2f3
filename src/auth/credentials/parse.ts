/**
 * Classification of a credential header value: which scheme, and whether Portcullis can use it.
 * Pure, total (never throws) and linear in the input.
 *
 * @see RFC 9110 §11.4 (credentials), §11.6.2 (Authorization), §11.7.2 (Proxy-Authorization),
 *      RFC 7617 (Basic), RFC 6750 §2.1 (Bearer)
 */

import type { ParsedCredentials } from './types.js';
import { decodeBasic } from './basic.js';
import { MAX_CREDENTIALS_LENGTH, type MalformedReason } from './reasons.js';
import { isB64token, isControlCode, isOws, scanToken, skipOws, trimOws } from './syntax.js';

type OwnedScheme = 'basic' | 'bearer';

function malformed(scheme: OwnedScheme | 'unknown', reason: MalformedReason): ParsedCredentials {
  return { kind: 'malformed', scheme, reason };
}

/** Auth-scheme names are case-insensitive (RFC 9110 §11.1): `basic`, `BASIC` and `Basic` are one. */
function ownedScheme(scheme: string): OwnedScheme | null {
  const lower = scheme.toLowerCase();
  return lower === 'basic' || lower === 'bearer' ? lower : null;
}

/** The scheme of an over-long value, from a bounded prefix only, so the rejection stays O(1). */
function sniffScheme(headerValue: string): OwnedScheme | 'unknown' {
  const head = headerValue.slice(0, 64);
  const start = skipOws(head, 0);
  return ownedScheme(head.slice(start, scanToken(head, start))) ?? 'unknown';
}

/**
 * Classifies a field value's characters. CTLs other than HTAB never come off the wire (Node rejects
 * them); finding one means the value was built by hand, and CR/LF in it would be header injection
 * the moment it is forwarded. Code units above U+00FF cannot be octets at all, and forwarding them
 * would make Node's `setHeader` throw.
 */
function fieldValueProblem(value: string): 'control_character' | 'non_octet' | null {
  let nonOctet = false;
  for (let i = 0; i < value.length; i += 1) {
    const code = value.charCodeAt(i);
    if (code !== 0x09 && isControlCode(code)) {
      return 'control_character';
    }
    nonOctet ||= code > 0xff;
  }
  return nonOctet ? 'non_octet' : null;
}

/**
 * Splits at commas outside quoted-strings (honouring backslash escapes inside them); `null` when a
 * quoted-string is left open, which no grammar here allows.
 */
function splitTopLevel(text: string): string[] | null {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (quoted && code === 0x5c) {
      i += 1;
    } else if (code === 0x22) {
      quoted = !quoted;
    } else if (code === 0x2c && !quoted) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return quoted ? null : parts;
}

/**
 * `true` when a list element after a comma begins a new credentials (`token` not followed by BWS
 * `=`), as opposed to an empty element or the next auth-param of the same scheme.
 */
function startsCredentials(element: string): boolean {
  const start = skipOws(element, 0);
  const end = scanToken(element, start);
  return end > start && element[skipOws(element, end)] !== '=';
}

/**
 * `true` when an element after the first begins another credentials, so the value is a list and
 * not one credentials. For a token68 scheme an empty element counts too (what a proxy produces
 * joining an empty second header line): unlike a `#auth-param` list, a token68 cannot explain it.
 */
function isList(elements: readonly string[], token68Scheme: boolean): boolean {
  return elements.slice(1).some((e) => startsCredentials(e) || (token68Scheme && trimOws(e) === ''));
}

/**
 * `Basic` and `Bearer`: `scheme 1*SP token68` and nothing else. A second credentials after a comma
 * (`Bearer a, Basic b`) is refused as `list`: accepting it would let Portcullis check one
 * credential while the upstream honours the other.
 */
function parseOwned(scheme: OwnedScheme, rest: string): ParsedCredentials {
  if (rest === '') {
    return malformed(scheme, 'missing_token');
  }
  if (isList(splitTopLevel(rest) ?? [rest], true)) {
    return malformed(scheme, 'list');
  }
  // 1*SP exactly: `Basic\tabc` and `Basic \tabc` are outside the grammar.
  const token = rest.replace(/^ +/, '');
  if (rest[0] !== ' ' || isOws(token[0])) {
    return malformed(scheme, 'syntax');
  }
  if (scheme === 'basic') {
    return decodeBasic(token);
  }
  return isB64token(token) ? { kind: 'bearer', token } : malformed('bearer', 'bad_token');
}

/**
 * A scheme Portcullis does not own. Its parameters are the owner's business and are not validated
 * (AWS4-HMAC-SHA256, for one, puts `/` and `;` in unquoted values), but a second credentials joined
 * after a comma is refused: `Negotiate x, Bearer forged` would otherwise reach the upstream as
 * "not ours" carrying a Bearer token Portcullis never checked.
 */
function parseOther(scheme: string, rest: string): ParsedCredentials {
  const elements = splitTopLevel(rest);
  if (elements === null || (rest !== '' && rest[0] !== ' ' && rest[0] !== ',')) {
    return malformed('unknown', 'syntax');
  }
  if (rest[0] === ',' || isList(elements, false)) {
    return malformed('unknown', 'list');
  }
  return { kind: 'other', scheme };
}

/**
 * The shape almost every request has: `Basic` or `Bearer`, one space, one token68 (RFC 6750
 * b64token), nothing around it. One regular expression recognises it, and what the grammar
 * below makes of such a value is exactly this (a property test holds the two together); the
 * character-by-character walk is left for everything else. The hot path of every Basic and
 * Bearer request goes through here.
 */
const CANONICAL = /^(basic|bearer) ([A-Za-z0-9\-._~+/]+=*)$/i;

/**
 * Parses a credential header value (`Authorization` or `Proxy-Authorization`): RFC 9110 §11.4
 * `credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ]`.
 *
 * - `undefined` (no header) → `null`. An empty or all-whitespace value → malformed `empty`.
 * - Leading and trailing OWS (SP, HTAB) are tolerated, as an HTTP parser strips them from a field
 *   value; between the scheme and its token68 only one or more SP are (`1*SP`).
 * - Values over {@link MAX_CREDENTIALS_LENGTH} code units are rejected before anything else is
 *   read (`too_long`).
 * - A value holding several credentials (a comma-joined list, as a proxy merging two header lines
 *   would produce) is `list`.
 * - `Basic` → the RFC 7617 checks of `decodeBasic` (basic.ts); `Bearer` → the rest must be one RFC 6750 b64token
 *   (`Bearer realm="x"` and `Bearer a=b` are `bad_token`).
 *
 * Never throws, for any string.
 *
 * @see RFC 9110 §11.4, RFC 7617 §2, RFC 6750 §2.1
 */
export function parseCredentials(headerValue: string | undefined): ParsedCredentials | null {
  if (headerValue === undefined) {
    return null;
  }
  // Length first: every later step is linear, but an unbounded value would still be unbounded work.
  if (headerValue.length > MAX_CREDENTIALS_LENGTH) {
    return malformed(sniffScheme(headerValue), 'too_long');
  }
  const canonical = CANONICAL.exec(headerValue);
  if (canonical !== null) {
    const token = canonical[2] as string;
    return (canonical[1] as string).length === 5 ? decodeBasic(token) : { kind: 'bearer', token };
  }
  return parseByGrammar(headerValue);
}

/** The full RFC 9110 §11.4 grammar, for a value no longer than MAX_CREDENTIALS_LENGTH. */
export function parseByGrammar(headerValue: string): ParsedCredentials {
  const value = trimOws(headerValue);
  if (value === '') {
    return malformed('unknown', 'empty');
  }
  const schemeEnd = scanToken(value, 0);
  const scheme = value.slice(0, schemeEnd);
  const owned = ownedScheme(scheme);
  const problem = fieldValueProblem(value);
  if (problem === 'control_character') {
    return malformed(owned ?? 'unknown', 'control_character');
  }
  if (owned !== null) {
    // Non-octet characters cannot be base64 or a b64token: the token checks name them.
    return parseOwned(owned, value.slice(schemeEnd));
  }
  if (schemeEnd === 0 || problem === 'non_octet') {
    return malformed('unknown', 'syntax');
  }
  return parseOther(scheme, value.slice(schemeEnd));
}
