/**
 * Hands out a session after header authentication, so a script that keeps cookies does not
 * re-authenticate (DESIGN.md §5). The session is a convenience: if the store cannot take it,
 * the request still goes through on its header credential, without a cookie.
 */

import type { ApplicationConfig } from '../config/index.js';
import { encodeSessionCookie, isSessionStoreUnavailable, serializeCookie, type SessionStore } from '../sessions/index.js';
import type { Identity } from './identity.js';
import { sessionFromIdentity, type SessionTokens } from './session-codec.js';

export interface SessionIssuerOptions {
  readonly application: ApplicationConfig;
  readonly store: SessionStore;
  readonly secret: string;
  readonly cookieName: string;
  readonly lifetimeMs: number;
  readonly now?: () => number;
  readonly onStoreTrouble?: (error: unknown) => void;
}

export class SessionIssuer {
  readonly #options: SessionIssuerOptions;
  readonly #now: () => number;
  readonly #secure: boolean;
  readonly #domain: string | undefined;

  constructor(options: SessionIssuerOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    const app = options.application;
    this.#secure = app.externalHost.startsWith('https:');
    this.#domain = app.mode === 'forward_domain' && app.cookieDomain !== '' ? app.cookieDomain : undefined;
  }

  get cookieName(): string {
    return this.#options.cookieName;
  }

  /** Cookie attributes of this application's cookies (Secure on https, Domain in forward_domain). */
  get cookieScope(): { readonly secure: boolean; readonly domain?: string } {
    return { secure: this.#secure, ...(this.#domain === undefined ? {} : { domain: this.#domain }) };
  }

  /**
   * Creates a session for `identity` and returns its Set-Cookie value, or null when the
   * identity has already expired. Rejects with the store's error when it cannot answer.
   */
  async create(identity: Identity, tokens?: SessionTokens): Promise<string | null> {
    const { store, secret, cookieName, lifetimeMs, application } = this.#options;
    const now = this.#now();
    const draft = sessionFromIdentity(application.name, identity, lifetimeMs, now, tokens);
    if (draft.expiresAt <= now) {
      return null;
    }
    const record = await store.create(draft);
    return serializeCookie(cookieName, encodeSessionCookie(record.id, application.name, secret), {
      ...this.cookieScope,
      maxAgeSeconds: Math.max(1, Math.floor((record.expiresAt - now) / 1000)),
    });
  }

  /** Like `create`, but a store outage yields null: the request goes on without a cookie. */
  async issue(identity: Identity, tokens?: SessionTokens): Promise<string | null> {
    try {
      return await this.create(identity, tokens);
    } catch (error) {
      if (isSessionStoreUnavailable(error)) {
        this.#options.onStoreTrouble?.(error);
        return null;
      }
      throw error;
    }
  }
}
