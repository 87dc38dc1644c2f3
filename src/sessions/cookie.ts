/**
 * The session cookie value: `<id>.<mac>`, where mac = base64url(HMAC-SHA256(secret,
 * application + "\n" + id)). The MAC binds the id to one application, so a cookie issued for one
 * application (or a guessed id) is refused before any store lookup.
 */

import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { isSessionId } from './record.js';

const ID_LENGTH = 43;
const MAC_LENGTH = 43; // 32 bytes of HMAC-SHA256 in base64url without padding
const VALUE_LENGTH = ID_LENGTH + 1 + MAC_LENGTH;
const MAC_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function encodeSessionCookie(id: string, application: string, secret: string): string {
  if (!isSessionId(id)) throw new RangeError('not a session id (43 base64url characters)');
  return `${id}.${sessionMac(id, application, secret)}`;
}

/**
 * The session id a cookie value carries, or null when it is malformed, truncated, forged or
 * issued for another application (or under another secret). Lengths and alphabet are checked
 * before any HMAC is computed; the MAC comparison takes constant time.
 */
export function decodeSessionCookie(value: string, application: string, secret: string | KeyObject): string | null {
  if (value.length !== VALUE_LENGTH || value[ID_LENGTH] !== '.') return null;
  const id = value.slice(0, ID_LENGTH);
  const mac = value.slice(ID_LENGTH + 1);
  if (!isSessionId(id) || !MAC_PATTERN.test(mac)) return null;
  // Compare the base64url text, not decoded bytes: a non-canonical last character would decode
  // to the same bytes and make MACs malleable.
  const expected = Buffer.from(sessionMac(id, application, secret), 'ascii');
  return timingSafeEqual(Buffer.from(mac, 'ascii'), expected) ? id : null;
}

/** How many verified cookie values a decoder remembers (about 2 MB at the bound). */
const VERIFIED_MEMO_SIZE = 10_000;

/**
 * `decodeSessionCookie` for one application, remembering the values it verified. A session's
 * cookie comes back on every request, and its MAC is a pure function of the value and the
 * secret, so one HMAC per cookie is enough: later requests find the id by the value. Only
 * verified values are kept (forged ones cannot push good ones out), oldest first out. The
 * memo holds session ids, which the session store holds anyway; it holds no secret.
 */
export class SessionCookieDecoder {
  readonly #application: string;
  /** Imported once: HMAC with a key object skips preparing the key on every call. */
  readonly #secret: KeyObject;
  readonly #verified = new Map<string, string>();

  constructor(application: string, secret: string) {
    this.#application = application;
    this.#secret = createSecretKey(Buffer.from(secret, 'utf8'));
  }

  decode(value: string): string | null {
    const known = this.#verified.get(value);
    if (known !== undefined) return known;
    const id = decodeSessionCookie(value, this.#application, this.#secret);
    if (id !== null) {
      if (this.#verified.size >= VERIFIED_MEMO_SIZE) {
        this.#verified.delete(this.#verified.keys().next().value as string);
      }
      this.#verified.set(value, id);
    }
    return id;
  }
}

function sessionMac(id: string, application: string, secret: string | KeyObject): string {
  return createHmac('sha256', secret).update(`${application}\n${id}`, 'utf8').digest('base64url');
}
