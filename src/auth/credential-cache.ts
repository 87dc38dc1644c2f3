/**
 * Remembers identities established from header credentials so that a script sending the
 * same app password or token a thousand times costs the IdP one call.
 *
 * Keys are HMAC-SHA256(secret, credential): the cache never holds a credential in
 * plaintext, and a memory dump does not let anyone replay one. Entries expire at the earlier
 * of the token's expiry and the TTL; the cache is bounded (least recently used goes first).
 * Refusals are remembered apart, briefly (at most a minute): a script retrying a wrong
 * password, or an upstream's own Basic credentials passing through with `intercept: false`,
 * does not cost an IdP call per request. An IdP error is never remembered as either.
 */

import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import type { Identity } from './identity.js';

export interface CredentialCacheOptions {
  readonly secret: string;
  readonly ttlMs: number;
  readonly maxEntries: number;
  readonly now?: () => number;
}

/** What a successful check leaves behind: who it was, and the session handed out for it. */
export interface CachedCredential {
  readonly identity: Identity;
  /** The Set-Cookie of the session created at the check, repeated for clients that drop cookies. */
  readonly setCookie: string | null;
}

const MAX_REFUSAL_MS = 60_000;

interface Entry {
  readonly value: CachedCredential;
  readonly expiresAt: number;
}

export class CredentialCache {
  readonly #entries = new Map<string, Entry>();
  readonly #inFlight = new Map<string, Promise<unknown>>();
  /** Keys of refused credentials → when the refusal is forgotten. */
  readonly #refused = new Map<string, number>();
  readonly #options: CredentialCacheOptions;
  readonly #now: () => number;
  /** The key of `keyOf`, imported once (every request with a credential computes one HMAC). */
  readonly #key: KeyObject;
  hits = 0;
  misses = 0;

  constructor(options: CredentialCacheOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#key = createSecretKey(Buffer.from(options.secret, 'utf8'));
  }

  get size(): number {
    return this.#entries.size;
  }

  /** How many refusals are remembered (bounded like the entries, by `maxEntries`). */
  get refusals(): number {
    return this.#refused.size;
  }

  /** The cache key of a credential within one application's scope. */
  keyOf(scope: string, credential: string): string {
    return createHmac('sha256', this.#key).update(`${scope}\n${credential}`).digest('base64url');
  }

  get(key: string): CachedCredential | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) {
      this.misses += 1;
      return undefined;
    }
    if (entry.expiresAt <= this.#now()) {
      this.#entries.delete(key);
      this.misses += 1;
      return undefined;
    }
    // Re-insert to keep Map order = recency, so eviction drops the least recently used.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    this.hits += 1;
    return entry.value;
  }

  set(key: string, value: CachedCredential): void {
    const expiresAt = Math.min(value.identity.expiresAt, this.#now() + this.#options.ttlMs);
    if (expiresAt <= this.#now() || this.#options.maxEntries <= 0) {
      return;
    }
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAt });
    while (this.#entries.size > this.#options.maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  /** Remembers that the IdP refused this credential. */
  rememberRefusal(key: string): void {
    if (this.#options.maxEntries <= 0) {
      return;
    }
    this.#refused.delete(key);
    this.#refused.set(key, this.#now() + Math.min(this.#options.ttlMs, MAX_REFUSAL_MS));
    while (this.#refused.size > this.#options.maxEntries) {
      this.#refused.delete(this.#refused.keys().next().value as string);
    }
  }

  /** Whether the IdP refused this credential within the last minute (or the TTL, if shorter). */
  refusedRecently(key: string): boolean {
    const until = this.#refused.get(key);
    if (until === undefined) {
      return false;
    }
    if (until <= this.#now()) {
      this.#refused.delete(key);
      return false;
    }
    return true;
  }

  /** Runs `check` once for concurrent callers with the same key; later callers share its promise. */
  async coalesce<T>(key: string, check: () => Promise<T>): Promise<T> {
    const pending = this.#inFlight.get(key) as Promise<T> | undefined;
    if (pending !== undefined) {
      return pending;
    }
    const promise = check().finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, promise);
    return promise;
  }
}
