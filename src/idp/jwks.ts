/**
 * One IdP key set (`jwks_uri`), as every token check sees it. Fetched on first use and
 * refreshed in the background when older than `maxAgeMs`.
 *
 * A token under a key the cached set lacks waits for a fetch: the one in flight, or a new one
 * when the cooldown allows. Only a fetch that succeeded and still lacks the key is a verdict on
 * the token (`JWKSNoMatchingKey`); a failed fetch, or a cooldown that follows a failed fetch,
 * says nothing about the token and is `PCL_IDP_UNAVAILABLE` (DESIGN.md §6). The cooldown is a
 * flood guard: made-up key ids cost the IdP one fetch per cooldown, and background refreshes
 * of a stale set do not use it up. A failed fetch keeps the last good key set.
 */

import { createLocalJWKSet, errors, type FlattenedJWSInput, type JSONWebKeySet, type JWSHeaderParameters, type CryptoKey } from 'jose';
import { PortcullisError } from '../errors/index.js';

export interface JwksOptions {
  readonly url: string;
  readonly timeoutMs: number;
  /** Least time between two fetches caused by unknown keys, while the IdP answers. */
  readonly cooldownMs: number;
  /** Age after which the key set is refreshed in the background. */
  readonly maxAgeMs: number;
  readonly now?: () => number;
  readonly onRefreshError?: (error: unknown) => void;
  readonly fetch?: (url: string, init: RequestInit) => Promise<Response>;
}

type LocalKeySet = ReturnType<typeof createLocalJWKSet>;

/** What a fetch on behalf of a token ended with. */
type Renewal = 'renewed' | 'unchanged' | 'unavailable';

export class JwksCache {
  readonly url: string;
  readonly #options: JwksOptions;
  readonly #now: () => number;
  #local: LocalKeySet | null = null;
  #fetchedAt = Number.NEGATIVE_INFINITY;
  /** Counts key sets fetched, so a waiter can tell whether the fetch it awaited brought one. */
  #generation = 0;
  /** When a token last caused a fetch: the cooldown counts from here. */
  #demandedAt = Number.NEGATIVE_INFINITY;
  #backgroundAt = Number.NEGATIVE_INFINITY;
  #lastFetchFailed = false;
  #pending: Promise<boolean> | null = null;
  fetches = 0;

  constructor(options: JwksOptions) {
    this.url = options.url;
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** jose key resolver: `jwtVerify(token, (h, t) => cache.key(h, t))`. */
  async key(header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey> {
    if (this.#local === null) {
      await this.#demand();
    } else {
      this.#refreshIfStale();
    }
    // Two renewals at most: a background fetch that was in flight may predate the new key, and
    // then one fetch of the token's own is still owed to it.
    for (let renewals = 0; ; renewals += 1) {
      try {
        return await (this.#local as unknown as LocalKeySet)(header, token);
      } catch (error) {
        if (!(error instanceof errors.JWKSNoMatchingKey) || renewals === 2 || (await this.renew()) === 'unchanged') {
          throw error;
        }
      }
    }
  }

  /**
   * Asks for a key set newer than the one a token failed against: waits for the fetch in
   * flight, or starts one when the cooldown allows. `unchanged` means a fetch that succeeded
   * (now or within the cooldown) is all there is to know; throws `PCL_IDP_UNAVAILABLE` when
   * the IdP could not be asked. Used for unknown `kid`s and for key-id-less tokens whose
   * signature no cached key verifies.
   */
  async renew(): Promise<Exclude<Renewal, 'unavailable'>> {
    const outcome = await this.#renewal();
    if (outcome === 'unavailable') {
      // The key may exist at the IdP; we cannot tell, so this is not a verdict on the token.
      throw keysUnavailable();
    }
    return outcome;
  }

  async #renewal(): Promise<Renewal> {
    if (this.#pending !== null) {
      const before = this.#generation;
      const ok = await this.#pending;
      if (this.#generation !== before) {
        return 'renewed';
      }
      if (!ok) {
        // Waited on a fetch that failed: the outage is the answer, without a second fetch for
        // every waiter against a failing IdP.
        return 'unavailable';
      }
    }
    if (!this.#mayDemand()) {
      return this.#lastFetchFailed ? 'unavailable' : 'unchanged';
    }
    return (await this.#demandFetch()) ? 'renewed' : 'unavailable';
  }

  /**
   * The first key set: every caller waits for it (one fetch), and a failure is an outage, never
   * a verdict. It is no answer to an unknown key id, so it does not start the cooldown.
   */
  async #demand(): Promise<void> {
    if (!(await this.#refresh()) || this.#local === null) {
      throw keysUnavailable();
    }
  }

  /**
   * The cooldown holds only while the IdP answers. After a failed fetch the next token that
   * needs the keys asks again at once (one fetch in flight at a time), so the first try after
   * the IdP is back succeeds: nothing learnt from a failure is held against a token.
   */
  #mayDemand(): boolean {
    return this.#lastFetchFailed || this.#now() - this.#demandedAt >= this.#options.cooldownMs;
  }

  #demandFetch(): Promise<boolean> {
    // Concurrent callers share whatever is in flight, so a burst of new-key tokens is one fetch.
    if (this.#pending === null) {
      this.#demandedAt = this.#now();
    }
    return this.#refresh();
  }

  #refreshIfStale(): void {
    const now = this.#now();
    if (this.#pending !== null || now - this.#fetchedAt <= this.#options.maxAgeMs) {
      return;
    }
    // Paced apart from the cooldown, so that a stale set behind a failing IdP is not fetched on
    // every request, and a background refresh never spends a waiting token's chance.
    if (now - this.#backgroundAt < Math.min(this.#options.cooldownMs, this.#options.maxAgeMs)) {
      return;
    }
    this.#backgroundAt = now;
    void this.#refresh();
  }

  /** Fetches the key set; concurrent callers share one request. Resolves false on failure. */
  #refresh(): Promise<boolean> {
    this.#pending ??= this.#fetch().finally(() => {
      this.#pending = null;
    });
    return this.#pending;
  }

  async #fetch(): Promise<boolean> {
    this.fetches += 1;
    try {
      const response = await (this.#options.fetch ?? fetch)(this.#options.url, {
        headers: { accept: 'application/jwk-set+json, application/json' },
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#options.timeoutMs),
      });
      if (response.status !== 200) {
        await response.body?.cancel();
        throw new Error(`the JWKS endpoint answered ${response.status}`);
      }
      const body = (await response.json()) as JSONWebKeySet;
      this.#local = createLocalJWKSet(body);
      this.#fetchedAt = this.#now();
      this.#generation += 1;
      this.#lastFetchFailed = false;
      return true;
    } catch (error) {
      this.#lastFetchFailed = true;
      this.#options.onRefreshError?.(error);
      return false;
    }
  }
}

function keysUnavailable(): PortcullisError {
  return new PortcullisError('PCL_IDP_UNAVAILABLE', 'the signing keys of the identity provider could not be fetched');
}
