/**
 * The default store: sessions in this process, lost on restart, not shared by replicas.
 * Bounded (least recently used sessions are evicted when full) and expiring (lazily on read and by
 * a periodic sweep), so a flood of logins cannot exhaust memory.
 */

import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import {
  MAX_ID_ATTEMPTS,
  assertCreatable,
  assertPositiveMs,
  clampExpiry,
  idCollisionError,
  isSessionId,
  newSessionId,
} from './record.js';
import { slidingCount, windowPosition } from './sliding-window.js';
import { inSidScope, LOCK_BUSY, sidKeysOf, type SidScope } from './store.js';
import type { Clock, LockBusy, NewSession, RandomBytes, SessionRecord, SessionStore } from './store.js';

export interface MemoryStoreOptions {
  readonly lifetimeMs: number;
  /** Default 100,000; also bounds the number of `hit` counters. */
  readonly maxSessions?: number;
  /** Default 60 s; 0 disables the timer (call `sweep()` yourself). */
  readonly sweepIntervalMs?: number;
  readonly now?: Clock;
  readonly randomBytes?: RandomBytes;
}

interface Lock {
  readonly token: string;
  readonly expiresAt: number;
}

interface Counter {
  readonly bucket: number;
  readonly current: number;
  readonly previous: number;
  readonly expiresAt: number;
}

export const DEFAULT_MAX_SESSIONS = 100_000;
const DEFAULT_SWEEP_INTERVAL_MS = 60_000;

export class MemorySessionStore implements SessionStore {
  readonly #lifetimeMs: number;
  readonly #maxSessions: number;
  readonly #now: Clock;
  readonly #randomBytes: RandomBytes;
  /** Insertion order is recency order: `get` re-inserts, eviction takes the first entry. */
  readonly #sessions = new Map<string, SessionRecord>();
  /** userKey → ids; a user's entry is dropped with their last session, so it never outgrows #sessions. */
  readonly #byUser = new Map<string, Set<string>>();
  /** IdP session id → ids, kept like #byUser. */
  readonly #bySid = new Map<string, Set<string>>();
  readonly #locks = new Map<string, Lock>();
  readonly #counters = new Map<string, Counter>();
  /** claimOnce keys → when they are forgotten. */
  readonly #claims = new Map<string, number>();
  readonly #sweeper: NodeJS.Timeout | undefined;

  constructor(options: MemoryStoreOptions) {
    assertPositiveMs('lifetimeMs', options.lifetimeMs);
    this.#lifetimeMs = options.lifetimeMs;
    this.#maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
    if (!Number.isSafeInteger(this.#maxSessions) || this.#maxSessions < 1) throw new RangeError('maxSessions must be a positive integer');
    this.#now = options.now ?? Date.now;
    this.#randomBytes = options.randomBytes ?? cryptoRandomBytes;
    const interval = options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
    if (interval > 0) {
      this.#sweeper = setInterval(() => this.sweep(), interval);
      this.#sweeper.unref();
    }
  }

  async create(input: NewSession): Promise<SessionRecord> {
    const createdAt = this.#now();
    assertCreatable(input, createdAt);
    const id = this.#freshId();
    const record: SessionRecord = {
      id,
      application: input.application,
      sub: input.sub,
      identity: input.identity,
      createdAt,
      expiresAt: clampExpiry(createdAt, input.expiresAt, this.#lifetimeMs),
    };
    while (this.#sessions.size >= this.#maxSessions) this.#evictLeastRecentlyUsed();
    this.#sessions.set(id, record);
    this.#index(record);
    return record;
  }

  async get(id: string, application: string): Promise<SessionRecord | null> {
    const record = this.#live(id);
    if (record === undefined || record.application !== application) return null;
    this.#sessions.delete(id);
    this.#sessions.set(id, record);
    return record;
  }

  async update(record: SessionRecord): Promise<boolean> {
    const stored = this.#live(record.id);
    if (stored === undefined || !sameOwner(stored, record)) return false;
    const expiresAt = clampExpiry(stored.createdAt, record.expiresAt, this.#lifetimeMs);
    if (expiresAt <= this.#now()) {
      this.#remove(stored);
      return false;
    }
    this.#sessions.set(record.id, { ...stored, identity: record.identity, expiresAt });
    return true;
  }

  async delete(id: string): Promise<void> {
    const record = this.#sessions.get(id);
    if (record !== undefined) this.#remove(record);
  }

  async deleteForUser(application: string, sub: string): Promise<number> {
    return this.#deleteAll(this.#byUser.get(userKey(application, sub)));
  }

  #deleteAll(ids: ReadonlySet<string> | undefined): number {
    if (ids === undefined) return 0;
    let ended = 0;
    for (const id of [...ids]) {
      if (this.#live(id) !== undefined) ended += 1;
      const record = this.#sessions.get(id);
      if (record !== undefined) this.#remove(record);
    }
    return ended;
  }

  async deleteForSid(sessionId: string, only?: SidScope): Promise<number> {
    const ids = this.#bySid.get(sessionId);
    if (only === undefined || ids === undefined) return this.#deleteAll(ids);
    return this.#deleteAll(
      new Set(
        [...ids].filter((id) => {
          const record = this.#sessions.get(id);
          return record !== undefined && inSidScope(record, only);
        }),
      ),
    );
  }

  async isClaimed(key: string): Promise<boolean> {
    return (this.#claims.get(key) ?? 0) > this.#now();
  }

  async claimOnce(key: string, ttlMs: number): Promise<boolean> {
    assertPositiveMs('ttlMs', ttlMs);
    const now = this.#now();
    const until = this.#claims.get(key);
    if (until !== undefined && until > now) return false;
    while (this.#claims.size >= this.#maxSessions) this.#claims.delete(firstKey(this.#claims));
    this.#claims.set(key, now + ttlMs);
    return true;
  }

  async withLock<T>(key: string, ttlMs: number, fn: () => Promise<T>): Promise<T | LockBusy> {
    assertPositiveMs('ttlMs', ttlMs);
    const now = this.#now();
    const held = this.#locks.get(key);
    if (held !== undefined && held.expiresAt > now) return LOCK_BUSY;
    const token = this.#randomBytes(16).toString('base64url');
    this.#locks.set(key, { token, expiresAt: now + ttlMs });
    try {
      return await fn();
    } finally {
      // Only our own lock: after our ttl ran out someone else may hold it.
      if (this.#locks.get(key)?.token === token) this.#locks.delete(key);
    }
  }

  async hit(key: string, windowMs: number): Promise<number> {
    assertPositiveMs('windowMs', windowMs);
    const now = this.#now();
    const { bucket, elapsed } = windowPosition(now, windowMs);
    const counter = this.#counters.get(key);
    const current = counter?.bucket === bucket ? counter.current + 1 : 1;
    const previous = counter?.bucket === bucket ? counter.previous : counter?.bucket === bucket - 1 ? counter.current : 0;
    this.#counters.delete(key);
    while (this.#counters.size >= this.#maxSessions) this.#counters.delete(firstKey(this.#counters));
    this.#counters.set(key, { bucket, current, previous, expiresAt: (bucket + 2) * windowMs });
    return slidingCount(current, previous, elapsed, windowMs);
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    if (this.#sweeper !== undefined) clearInterval(this.#sweeper);
  }

  /** Drops everything expired. Runs on a timer; public so tests need not wait for it. */
  sweep(): void {
    const now = this.#now();
    for (const record of this.#sessions.values()) if (record.expiresAt <= now) this.#remove(record);
    for (const [key, lock] of this.#locks) if (lock.expiresAt <= now) this.#locks.delete(key);
    for (const [key, counter] of this.#counters) if (counter.expiresAt <= now) this.#counters.delete(key);
    for (const [key, until] of this.#claims) if (until <= now) this.#claims.delete(key);
  }

  /** Entry counts, for tests and metrics. */
  stats(): { sessions: number; users: number; locks: number; counters: number } {
    return { sessions: this.#sessions.size, users: this.#byUser.size, locks: this.#locks.size, counters: this.#counters.size };
  }

  #freshId(): string {
    for (let attempt = 0; attempt < MAX_ID_ATTEMPTS; attempt += 1) {
      const id = newSessionId(this.#randomBytes);
      if (!this.#sessions.has(id)) return id;
    }
    throw idCollisionError();
  }

  #live(id: string): SessionRecord | undefined {
    if (!isSessionId(id)) return undefined;
    const record = this.#sessions.get(id);
    if (record === undefined) return undefined;
    if (record.expiresAt > this.#now()) return record;
    this.#remove(record);
    return undefined;
  }

  #index(record: SessionRecord): void {
    addTo(this.#byUser, userKey(record.application, record.sub), record.id);
    for (const key of sidKeysOf(record)) addTo(this.#bySid, key, record.id);
  }

  #remove(record: SessionRecord): void {
    this.#sessions.delete(record.id);
    removeFrom(this.#byUser, userKey(record.application, record.sub), record.id);
    for (const key of sidKeysOf(record)) removeFrom(this.#bySid, key, record.id);
  }

  #evictLeastRecentlyUsed(): void {
    const record = this.#sessions.get(firstKey(this.#sessions));
    if (record !== undefined) this.#remove(record);
  }
}

function addTo(index: Map<string, Set<string>>, key: string, id: string): void {
  const ids = index.get(key);
  if (ids === undefined) index.set(key, new Set([id]));
  else ids.add(id);
}

/** An entry is dropped with its last id, so an index never outgrows the sessions. */
function removeFrom(index: Map<string, Set<string>>, key: string, id: string): void {
  const ids = index.get(key);
  if (ids === undefined) return;
  ids.delete(id);
  if (ids.size === 0) index.delete(key);
}

/** JSON keeps the pair unambiguous whatever characters an application name or sub holds. */
function userKey(application: string, sub: string): string {
  return JSON.stringify([application, sub]);
}

function sameOwner(stored: SessionRecord, update: SessionRecord): boolean {
  return stored.application === update.application && stored.sub === update.sub && stored.createdAt === update.createdAt;
}

function firstKey<K>(map: Map<K, unknown>): K {
  const { value, done } = map.keys().next();
  if (done === true) throw new Error('firstKey of an empty map');
  return value;
}
