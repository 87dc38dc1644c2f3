/**
 * Every key set in use, one per `jwks_uri` (DESIGN.md §6). Applications and identity clients
 * at one IdP share its cache, so a rotation seen by one is seen by all, and the IdP is asked
 * once rather than once per client.
 */

import { JwksCache } from './jwks.js';
import type { Fetch } from './observed-fetch.js';

export interface KeySetsOptions {
  readonly timeoutMs: number;
  readonly cooldownMs: number;
  readonly maxAgeMs: number;
  readonly fetch: Fetch;
  readonly onRefreshError?: (url: string, error: unknown) => void;
  readonly now?: () => number;
}

export class KeySets {
  readonly #byUrl = new Map<string, JwksCache>();
  readonly #options: KeySetsOptions;

  constructor(options: KeySetsOptions) {
    this.#options = options;
  }

  /**
   * The cache of the key set at `url`, created on first use with `fetch`. Askers that do not
   * verify the IdP's TLS certificate get a cache of their own: keys fetched without verification
   * never serve one that asked for it.
   */
  forUrl(url: string, fetch: Fetch = this.#options.fetch, tlsVerify = true): JwksCache {
    const key = tlsVerify ? url : `unverified ${url}`;
    let cache = this.#byUrl.get(key);
    if (cache === undefined) {
      const { timeoutMs, cooldownMs, maxAgeMs, onRefreshError, now } = this.#options;
      cache = new JwksCache({
        url,
        timeoutMs,
        cooldownMs,
        maxAgeMs,
        fetch,
        ...(onRefreshError === undefined ? {} : { onRefreshError: (error: unknown) => onRefreshError(url, error) }),
        ...(now === undefined ? {} : { now }),
      });
      this.#byUrl.set(key, cache);
    }
    return cache;
  }

  get size(): number {
    return this.#byUrl.size;
  }
}
