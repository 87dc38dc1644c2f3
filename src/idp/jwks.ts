/**
 * The IdP's signing keys. Fetched on first use, refreshed in the background when older
 * than `maxAgeMs`, and re-fetched at once for an unknown `kid`, at most once per cooldown
 * (a flood of made-up kids costs the IdP one request per cooldown, not one per token).
 * A failed refresh keeps the last good key set: an IdP hiccup must not reject valid tokens.
 */

import { createLocalJWKSet, errors, type FlattenedJWSInput, type JSONWebKeySet, type JWSHeaderParameters, type CryptoKey } from 'jose';
import { PortcullisError } from '../errors/index.js';

export interface JwksOptions {
  readonly url: string;
  readonly timeoutMs: number;
  readonly cooldownMs: number;
  readonly maxAgeMs: number;
  readonly now?: () => number;
  readonly onRefreshError?: (error: unknown) => void;
  readonly fetch?: (url: string, init: RequestInit) => Promise<Response>;
}

type LocalKeySet = ReturnType<typeof createLocalJWKSet>;

export class JwksCache {
  readonly #options: JwksOptions;
  readonly #now: () => number;
  #local: LocalKeySet | null = null;
  #fetchedAt = Number.NEGATIVE_INFINITY;
  #attemptedAt = Number.NEGATIVE_INFINITY;
  #pending: Promise<boolean> | null = null;
  fetches = 0;

  constructor(options: JwksOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** jose key resolver: `jwtVerify(token, (h, t) => cache.key(h, t))`. */
  async key(header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey> {
    if (this.#local === null) {
      if (!(await this.#refresh())) {
        throw new PortcullisError('PCL_IDP_UNAVAILABLE', 'the signing keys of the identity provider could not be fetched');
      }
    } else if (this.#now() - this.#fetchedAt > this.#options.maxAgeMs && this.#cooledDown()) {
      void this.#refresh();
    }
    const local = this.#local as unknown as LocalKeySet;
    try {
      return await local(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey) || !this.#cooledDown()) {
        throw error;
      }
      if (!(await this.#refresh())) {
        // The key may exist at the IdP; we cannot tell, so this is not a verdict on the token.
        throw new PortcullisError('PCL_IDP_UNAVAILABLE', 'the signing keys of the identity provider could not be refreshed');
      }
      return (this.#local as unknown as LocalKeySet)(header, token);
    }
  }

  #cooledDown(): boolean {
    return this.#now() - this.#attemptedAt >= this.#options.cooldownMs;
  }

  /** Fetches the key set; concurrent callers share one request. Resolves false on failure. */
  #refresh(): Promise<boolean> {
    this.#pending ??= this.#fetch().finally(() => {
      this.#pending = null;
    });
    return this.#pending;
  }

  async #fetch(): Promise<boolean> {
    this.#attemptedAt = this.#now();
    this.fetches += 1;
    try {
      const response = await (this.#options.fetch ?? fetch)(this.#options.url, {
        headers: { accept: 'application/jwk-set+json, application/json' },
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#options.timeoutMs),
      });
      if (response.status !== 200) {
        throw new Error(`the JWKS endpoint answered ${response.status}`);
      }
      const body = (await response.json()) as JSONWebKeySet;
      this.#local = createLocalJWKSet(body);
      this.#fetchedAt = this.#now();
      return true;
    } catch (error) {
      this.#options.onRefreshError?.(error);
      return false;
    }
  }
}
