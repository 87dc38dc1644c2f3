/**
 * Renews a session's access token with its refresh token shortly before it expires. Exactly
 * one request does it, even across replicas (a lock in the session store), because the IdP
 * rotates refresh tokens: two concurrent refreshes would spend the same token twice and the
 * IdP would end the grant, logging the user out.
 */

import type { ClaimsConfig } from '../config/index.js';
import { refreshTokens, type IdentityProvider } from '../idp/index.js';
import { LOCK_BUSY, type SessionRecord, type SessionStore } from '../sessions/index.js';
import { identityFromClaims } from './claims.js';
import { sessionFromIdentity } from './session-codec.js';
import { messageOf } from '../errors/index.js';

export type RefreshResult =
  | { readonly kind: 'ok'; readonly record: SessionRecord }
  | { readonly kind: 'gone' }
  | { readonly kind: 'unavailable'; readonly reason: string };

export interface SessionRefresherOptions {
  readonly application: string;
  readonly store: SessionStore;
  readonly provider: IdentityProvider;
  readonly claims: ClaimsConfig;
  /** Refresh when the token has less than this left. */
  readonly marginMs?: number;
  /** How long a request waits for another one's refresh before giving up. */
  readonly waitMs?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

const LOCK_TTL_MS = 15_000;

export class SessionRefresher {
  readonly #options: SessionRefresherOptions;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #margin: number;

  constructor(options: SessionRefresherOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#margin = options.marginMs ?? 30_000;
  }

  #fresh(record: SessionRecord): boolean {
    return record.identity.tokenExpiresAt - this.#now() > this.#margin;
  }

  #usable(record: SessionRecord): boolean {
    return record.identity.tokenExpiresAt > this.#now();
  }

  /**
   * `current` carries a new, usable token since this request read `seen`: another request (or
   * replica) refreshed it. Checked besides `#fresh` because a token whose whole lifetime is
   * shorter than the margin is never "fresh", not even right after a refresh.
   */
  #refreshedSince(seen: SessionRecord, current: SessionRecord): boolean {
    return current.identity.accessToken !== seen.identity.accessToken && this.#usable(current);
  }

  /** Far enough from expiry that `ensureFresh` would return it as it is, with no I/O. */
  isFresh(record: SessionRecord): boolean {
    return this.#fresh(record);
  }

  async ensureFresh(record: SessionRecord): Promise<RefreshResult> {
    if (this.#fresh(record)) {
      return { kind: 'ok', record };
    }
    if (record.identity.refreshToken === undefined) {
      return this.#usable(record) ? { kind: 'ok', record } : { kind: 'gone' };
    }
    const { store } = this.#options;
    // Held for every call a refresh may make (token, keys, UserInfo, keys again) at the IdP
    // timeout, so it cannot lapse mid-refresh and let another replica spend the same token.
    const lockMs = Math.max(LOCK_TTL_MS, 5 * this.#options.provider.timeoutMs);
    const outcome = await store.withLock(`refresh:${record.id}`, lockMs, () => this.#refresh(record));
    if (outcome !== LOCK_BUSY) {
      return outcome;
    }
    return this.#awaitOtherRefresh(record);
  }

  async #refresh(stale: SessionRecord): Promise<RefreshResult> {
    const { store, application, provider } = this.#options;
    // Another replica may have refreshed while we waited for the lock.
    const current = await store.get(stale.id, application);
    if (current === null) {
      return { kind: 'gone' };
    }
    if (this.#fresh(current) || this.#refreshedSince(stale, current)) {
      return { kind: 'ok', record: current };
    }
    const refreshToken = current.identity.refreshToken;
    if (refreshToken === undefined) {
      return this.#usable(current) ? { kind: 'ok', record: current } : { kind: 'gone' };
    }
    let verdict;
    try {
      verdict = await refreshTokens(provider, refreshToken, this.#now(), current.identity.idToken ?? '');
    } catch (error) {
      verdict = { ok: false as const, kind: 'unavailable' as const, reason: messageOf(error) };
    }
    if (!verdict.ok) {
      if (verdict.kind === 'invalid') {
        // The IdP ended the grant (revoked, user logged out, rotation reused): so does the session.
        await store.delete(current.id);
        return { kind: 'gone' };
      }
      return this.#usable(current) ? { kind: 'ok', record: current } : { kind: 'unavailable', reason: verdict.reason };
    }
    const tokens = verdict.value;
    const claims = Object.keys(tokens.claims).length > 0 ? tokens.claims : current.identity.claims;
    const identity = identityFromClaims(this.#options.claims, { claims, token: tokens.accessToken, method: 'session', expiresAt: tokens.expiresAt });
    const draft = sessionFromIdentity(application, identity, current.expiresAt - this.#now(), this.#now(), {
      idToken: tokens.idToken,
      refreshToken: tokens.refreshToken ?? refreshToken,
    });
    const updated: SessionRecord = { ...current, identity: { ...draft.identity, method: current.identity.method }, expiresAt: current.expiresAt };
    return (await store.update(updated)) ? { kind: 'ok', record: updated } : { kind: 'gone' };
  }

  async #awaitOtherRefresh(record: SessionRecord): Promise<RefreshResult> {
    const { store, application } = this.#options;
    const deadline = this.#now() + (this.#options.waitMs ?? 3_000);
    while (this.#now() < deadline) {
      await this.#sleep(100);
      const current = await store.get(record.id, application);
      if (current === null) {
        return { kind: 'gone' };
      }
      if (this.#fresh(current) || this.#refreshedSince(record, current)) {
        return { kind: 'ok', record: current };
      }
    }
    return this.#usable(record) ? { kind: 'ok', record } : { kind: 'unavailable', reason: 'the session is being refreshed by another request' };
  }
}
