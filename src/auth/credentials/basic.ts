/**
 * Decoding of the `Basic` token68: strict base64, UTF-8, user-id and password split at the first
 * colon, no control characters.
 *
 * @see RFC 7617 §2 (user-pass, CTL ban), §2.1 (charset="UTF-8"), RFC 4648 §4 and §3.5 (canonical base64)
 */

import type { ParsedCredentials } from './types.js';
import { AUTHENTIK_TOKEN_USERNAME, type MalformedReason } from './reasons.js';
import { hasControlCharacter, isB64token } from './syntax.js';

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Each ASCII code's value in the alphabet, or -1: a lookup per character instead of a search. */
const BASE64_VALUES = Int8Array.from({ length: 128 }, (_, code) => BASE64_ALPHABET.indexOf(String.fromCharCode(code)));

function base64Value(code: number): number {
  return code < 128 ? (BASE64_VALUES[code] as number) : -1;
}

/**
 * `true` when `text` is base64 exactly as an encoder writes it: RFC 4648 alphabet (not base64url),
 * length a multiple of 4, `=` only as the final one or two characters, and zero pad bits.
 *
 * `Buffer.from(x, 'base64')` skips characters outside the alphabet and accepts missing or misplaced
 * padding, so `dXNlcjpw YXNz`, `dXNl-cjpwYXNz` and `dXNlcjpwYXNz=x` would all decode to a
 * credential. Checking first means one user:password pair has exactly one accepted encoding: a
 * cache keyed by the header cannot be poisoned or bypassed with variant spellings, and a WAF or
 * log filter that matches the canonical form sees the same bytes we authenticate.
 */
export function isStrictBase64(text: string): boolean {
  if (text.length === 0 || text.length % 4 !== 0) {
    return false;
  }
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const body = text.length - padding;
  for (let i = 0; i < body; i += 1) {
    if (base64Value(text.charCodeAt(i)) === -1) {
      return false;
    }
  }
  // RFC 4648 §3.5: the bits after the last full byte must be zero (`QQ==`, not `QR==`).
  const last = base64Value(text.charCodeAt(body - 1));
  return padding === 0 || last % (padding === 2 ? 16 : 4) === 0;
}

// ignoreBOM keeps a leading U+FEFF in the user-id instead of silently dropping it: otherwise
// "\uFEFFadmin" would reach the IdP as "admin" while logs and caches saw different bytes.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return UTF8.decode(bytes);
  } catch {
    // Overlong forms and lone surrogates are how `admin` gets spelled past a byte-level deny list.
    return null;
  }
}

function malformed(scheme: 'basic' | 'bearer', reason: MalformedReason): ParsedCredentials {
  return { kind: 'malformed', scheme, reason };
}

/** The reserved user-id carries a token in the password; it must then look like a Bearer token. */
function authentikToken(password: string): ParsedCredentials {
  return isB64token(password) ? { kind: 'bearer', token: password } : malformed('bearer', 'bad_token');
}

/**
 * Turns the token68 of a `Basic` credential into a user-id/password pair.
 *
 * Checks, in this order: strict base64 (`not_base64`), UTF-8 (`not_utf8`), no CTL anywhere in the
 * decoded text (`control_character`), a colon (`no_colon`); then the reserved user-id
 * `goauthentik.io/token` (compared exactly, as authentik does) becomes a Bearer token; then the
 * user-id and password must be non-empty (`empty_username`, `empty_password`). The password may
 * hold colons: only the first colon splits. No Unicode normalization is applied: the IdP gets the
 * exact code points the client sent.
 *
 * @see RFC 7617 §2
 */
export function decodeBasic(token68: string): ParsedCredentials {
  if (!isStrictBase64(token68)) {
    return malformed('basic', 'not_base64');
  }
  const text = decodeUtf8(Buffer.from(token68, 'base64'));
  if (text === null) {
    return malformed('basic', 'not_utf8');
  }
  // RFC 7617 §2 forbids CTLs: CR/LF would split log lines and X-authentik-username, NUL truncates
  // the name in C-based IdP back ends while the prefix is what gets matched.
  if (hasControlCharacter(text)) {
    return malformed('basic', 'control_character');
  }
  const colon = text.indexOf(':');
  if (colon < 0) {
    return malformed('basic', 'no_colon');
  }
  const username = text.slice(0, colon);
  const password = text.slice(colon + 1);
  if (username === AUTHENTIK_TOKEN_USERNAME) {
    return authentikToken(password);
  }
  if (username === '') {
    return malformed('basic', 'empty_username');
  }
  if (password === '') {
    return malformed('basic', 'empty_password');
  }
  return { kind: 'basic', username, password };
}
