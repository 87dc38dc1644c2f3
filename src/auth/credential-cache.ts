/**
 * Remembers identities established from header credentials so that a script sending the
 * same app password or token a thousand times costs the IdP one call.
 *
 * Keys are SHA-256 over a secret-derived prefix and the credential (`keyOf`): the cache never
 * holds a credential in plaintext, and a memory dump does not let anyone replay one. Entries
 * expire at the earlier of the token's expiry and the TTL; the cache is bounded (least
 * recently used goes first).
 * Refusals are remembered apart, briefly (at most a minute): a script retrying a wrong
 * password, or an upstream's own Basic credentials passing through with `intercept: false`,
 * does not cost an IdP call per request. An IdP error is never remembered as either.
 *
 * An entry keeps its identity compact (sessions/packed-identity.ts: the token as bytes, the
 * claims as the token's own payload, the attributes as a path into the claims), about half of
 * the objects it replaces; the most recently read entries also keep the decoded identity, so a
 * busy credential's hits decode nothing and hand back the same identity object.
 */

import { createHmac, hash } from 'node:crypto';
import {
  isJsonValue,
  packIdentity,
  RecencyList,
  unpackIdentity,
  WarmSet,
  type IdentityParts,
  type JsonValue,
  type PackedIdentity,
  type RecencyLinks,
  type Warmable,
} from '../sessions/index.js';
import type { Identity } from './identity.js';
import { packCookie, unpackCookie, type PackedCookie } from './packed-cookie.js';

export interface CredentialCacheOptions {
  readonly secret: string;
  readonly ttlMs: number;
  readonly maxEntries: number;
  /** How many entries keep their decoded identity besides the compact form. Default 256. */
  readonly warmEntries?: number;
  readonly now?: () => number;
}

/** What a successful check leaves behind: who it was, and the session handed out for it. */
export interface CachedCredential {
  readonly identity: Identity;
  /** The Set-Cookie of the session created at the check, repeated for clients that drop cookies. */
  readonly setCookie: string | null;
}

const MAX_REFUSAL_MS = 60_000;
const DEFAULT_WARM_ENTRIES = 256;

class Entry implements RecencyLinks<Entry>, Warmable {
  older: Entry | undefined = undefined;
  newer: Entry | undefined = undefined;
  recentlyRead = false;
  warmIndex = -1;

  constructor(
    readonly key: string,
    readonly expiresAt: number,
    /** Undefined when the identity holds what JSON cannot carry: then `value` is always kept. */
    readonly packed: PackedIdentity | undefined,
    readonly setCookie: PackedCookie | null,
    public value: CachedCredential | undefined,
  ) {}

  get isWarm(): boolean {
    return this.value !== undefined;
  }

  cool(): void {
    if (this.packed !== undefined) this.value = undefined;
  }
}

export class CredentialCache {
  readonly #entries = new Map<string, Entry>();
  /** Eviction order: a hit makes an entry the most recently used. */
  readonly #recency = new RecencyList<Entry>();
  readonly #warm: WarmSet<Entry>;
  readonly #inFlight = new Map<string, Promise<unknown>>();
  /** Keys of refused credentials → when the refusal is forgotten. */
  readonly #refused = new Map<string, number>();
  readonly #options: CredentialCacheOptions;
  readonly #now: () => number;
  /** What `keyOf` hashes before the credential: derived from the secret, never the secret itself. */
  readonly #prefix: string;
  hits = 0;
  misses = 0;

  constructor(options: CredentialCacheOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#prefix = `${createHmac('sha256', options.secret).update('portcullis credential cache keys').digest('hex')}\n`;
    this.#warm = new WarmSet(Math.max(1, options.warmEntries ?? DEFAULT_WARM_ENTRIES));
  }

  get size(): number {
    return this.#entries.size;
  }

  /** How many refusals are remembered (bounded like the entries, by `maxEntries`). */
  get refusals(): number {
    return this.#refused.size;
  }

  /**
   * The cache key of a credential within one application's scope: SHA-256 of the secret-derived
   * prefix, the scope and the credential, its 32 bytes as a Latin-1 string (a key for maps only,
   * never shown: 32 characters instead of 43 in base64url). Every request with a credential
   * computes one: a one-shot hash costs a fraction of an HMAC, whose context OpenSSL sets up per
   * call (about a third of Portcullis's own time on a cached Bearer request). The prefix keeps a
   * key from being computed without the secret; length extension, HMAC's reason for being,
   * needs someone who sees keys, and they never leave this process.
   */
  keyOf(scope: string, credential: string): string {
    return hash('sha256', `${this.#prefix}${scope}\n${credential}`, 'binary'); // 'binary' is Latin-1
  }

  get(key: string): CachedCredential | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) {
      this.misses += 1;
      return undefined;
    }
    if (entry.expiresAt <= this.#now()) {
      this.#drop(entry);
      this.misses += 1;
      return undefined;
    }
    this.#recency.touch(entry);
    this.hits += 1;
    if (entry.value !== undefined) {
      entry.recentlyRead = true;
      return entry.value;
    }
    // Not warm, so packed (an entry that could not be packed keeps its value for good).
    const value = { identity: identityOf(unpackIdentity(entry.packed!)), setCookie: entry.setCookie === null ? null : unpackCookie(entry.setCookie) };
    entry.value = value;
    this.#warm.admit(entry);
    return value;
  }

  set(key: string, value: CachedCredential): void {
    const expiresAt = Math.min(value.identity.expiresAt, this.#now() + this.#options.ttlMs);
    if (expiresAt <= this.#now() || this.#options.maxEntries <= 0) {
      return;
    }
    const previous = this.#entries.get(key);
    if (previous !== undefined) this.#drop(previous);
    const parts = partsOf(value.identity);
    const packed = parts === undefined ? undefined : packIdentity(parts);
    const setCookie = value.setCookie === null || packed === undefined ? value.setCookie : packCookie(value.setCookie);
    const entry = new Entry(key, expiresAt, packed, setCookie, value);
    this.#entries.set(key, entry);
    this.#recency.push(entry);
    if (entry.packed !== undefined) this.#warm.admit(entry);
    while (this.#entries.size > this.#options.maxEntries) {
      const oldest = this.#recency.oldest;
      if (oldest === undefined) break;
      this.#drop(oldest);
    }
  }

  delete(key: string): void {
    const entry = this.#entries.get(key);
    if (entry !== undefined) this.#drop(entry);
  }

  #drop(entry: Entry): void {
    this.#entries.delete(entry.key);
    this.#recency.remove(entry);
    this.#warm.forget(entry);
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

/** What is packed of an identity, or undefined when it holds what JSON cannot carry. */
function partsOf(identity: Identity): IdentityParts | undefined {
  const { claims, attributes } = identity;
  if (!isJsonObject(claims) || !isJsonObject(attributes)) return undefined;
  return {
    sub: identity.sub,
    username: identity.username,
    email: identity.email,
    name: identity.name,
    groups: identity.groups,
    entitlements: identity.entitlements,
    attributes,
    claims,
    accessToken: identity.token,
    tokenExpiresAt: identity.expiresAt,
    method: identity.method,
  };
}

function isJsonObject(value: Readonly<Record<string, unknown>>): value is Readonly<Record<string, JsonValue>> {
  return !Array.isArray(value) && isJsonValue(value);
}

/** The identity again, built like `identityFromClaims` builds it. */
function identityOf(parts: IdentityParts): Identity {
  return Object.freeze({
    sub: parts.sub,
    username: parts.username,
    email: parts.email,
    name: parts.name,
    groups: parts.groups,
    entitlements: parts.entitlements,
    attributes: parts.attributes,
    claims: parts.claims,
    token: parts.accessToken,
    expiresAt: parts.tokenExpiresAt,
    method: parts.method,
  });
}
