/**
 * Authentication by Portcullis's session cookie. A cookie that is malformed, truncated,
 * forged, for another application or for an ended session is simply "no session"; a session
 * store that cannot answer is `unavailable` (503), never "no session", so an outage cannot
 * turn into a redirect loop.
 */

import { isSessionStoreUnavailable, readCookie, SessionCookieDecoder, type SessionStore } from '../sessions/index.js';
import type { AuthResult, Authenticator, CredentialFacts } from './authenticate.js';
import { identityFromSession } from './session-codec.js';
import type { SessionRefresher } from './session-refresh.js';

export interface SessionAuthenticatorOptions {
  readonly application: string;
  readonly cookieName: string;
  readonly secret: string;
  readonly store: SessionStore;
  readonly retryAfterSeconds: number;
  /** Renews tokens of sessions that carry a refresh token; absent, sessions end with their token. */
  readonly refresher?: SessionRefresher;
  readonly now?: () => number;
}

const NONE: AuthResult = Object.freeze({ kind: 'none' });
const NO_COOKIES: readonly string[] = Object.freeze([]);

export class SessionAuthenticator implements Authenticator {
  readonly name = 'session';
  readonly #options: SessionAuthenticatorOptions;
  readonly #now: () => number;
  readonly #cookies: SessionCookieDecoder;

  constructor(options: SessionAuthenticatorOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#cookies = new SessionCookieDecoder(options.application, options.secret);
  }

  async authenticate(facts: CredentialFacts): Promise<AuthResult> {
    const { application, cookieName, store } = this.#options;
    const value = readCookie(facts.cookieHeader, cookieName);
    if (value === undefined || value === '') {
      return NONE;
    }
    const id = this.#cookies.decode(value);
    if (id === null) {
      return NONE;
    }
    try {
      const record = await store.get(id, application);
      if (record === null || record.expiresAt <= this.#now()) {
        return NONE;
      }
      const refresher = this.#options.refresher;
      if (refresher === undefined) {
        return record.identity.tokenExpiresAt > this.#now() ? { kind: 'identity', identity: identityFromSession(record), setCookies: NO_COOKIES } : NONE;
      }
      // Nearly every request: no refresh due, so no second promise to wait for.
      if (refresher.isFresh(record)) {
        return { kind: 'identity', identity: identityFromSession(record), setCookies: NO_COOKIES };
      }
      const refreshed = await refresher.ensureFresh(record);
      if (refreshed.kind === 'gone') {
        return NONE;
      }
      if (refreshed.kind === 'unavailable') {
        return { kind: 'unavailable', retryAfterSeconds: this.#options.retryAfterSeconds, reason: refreshed.reason };
      }
      return { kind: 'identity', identity: identityFromSession(refreshed.record), setCookies: NO_COOKIES };
    } catch (error) {
      if (isSessionStoreUnavailable(error)) {
        return { kind: 'unavailable', retryAfterSeconds: this.#options.retryAfterSeconds, reason: error.message };
      }
      throw error;
    }
  }
}
