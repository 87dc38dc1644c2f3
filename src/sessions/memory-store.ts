/**
 * The default store: sessions in this process, lost on restart, not shared by replicas.
 * Bounded (least recently used sessions are evicted when full) and expiring (lazily on read and by
 * a periodic sweep), so a flood of logins cannot exhaust memory.
 *
 * Each session is kept compact (packed-identity.ts: about 1.2 KB for a session of the dev IdP's
 * instead of 3.3 KB of objects); the most recently read ones also keep their decoded record
 * (warm-set.ts), so a busy session's reads decode nothing and return the same record.
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
import { packIdentity, unpackIdentity, type PackedIdentity } from './packed-identity.js';
import { RecencyList, type RecencyLinks } from './recency.js';
import { slidingCount, windowPosition } from './sliding-window.js';
import { inSidScope, LOCK_BUSY, sidKeysFor, type SidScope } from './store.js';
import type { Clock, LockBusy, NewSession, RandomBytes, SessionData, SessionRecord, SessionStore } from './store.js';
import { WarmSet, type Warmable } from './warm-set.js';

export interface MemoryStoreOptions {
  readonly lifetimeMs: number;
  /** Default 100,000; also bounds the number of `hit` counters. */
  readonly maxSessions?: number;
  /** Default 60 s; 0 disables the timer (call `sweep()` yourself). */
  readonly sweepIntervalMs?: number;
  /** How many sessions keep their decoded record besides the compact form. Default 1,000. */
  readonly warmSessions?: number;
  readonly now?: Clock;
  readonly randomBytes?: RandomBytes;
}

/** One stored session: its compact form, and its decoded record while it is warm. */
class Slot implements RecencyLinks<Slot>, Warmable {
  older: Slot | undefined = undefined;
  newer: Slot | undefined = undefined;
  recentlyRead = false;
  warmIndex = -1;

  constructor(
    readonly id: string,
    readonly application: string,
    readonly sub: string,
    readonly createdAt: number,
    public expiresAt: number,
    public packed: PackedIdentity,
    /** The `sid` claim at creation: the back-channel index keys (as the Redis store keeps them). */
    readonly sid: string | undefined,
    public record: SessionRecord | undefined,
  ) {}

  get isWarm(): boolean {
    return this.record !== undefined;
  }

  cool(): void {
    this.record = undefined;
  }
}

/** One session id, or several: most users have one session, and a Set costs ten times a string. */
type Ids = string | Set<string>;

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
const DEFAULT_WARM_SESSIONS = 1_000;

export class MemorySessionStore implements SessionStore {
  readonly #lifetimeMs: number;
  readonly #maxSessions: number;
  readonly #now: Clock;
  readonly #randomBytes: RandomBytes;
  readonly #sessions = new Map<string, Slot>();
  /** Eviction order: a read makes a session the most recently used. */
  readonly #recency = new RecencyList<Slot>();
  readonly #warm: WarmSet<Slot>;
  /**
   * application → sub → ids; a user's entry is dropped with their last session, so it never
   * outgrows #sessions. Keyed by the record's own strings: the index copies none.
   */
  readonly #byUser = new Map<string, Map<string, Ids>>();
  #users = 0;
  /** IdP session id (and its hash) → ids, kept like #byUser. */
  readonly #bySid = new Map<string, Ids>();
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
    this.#warm = new WarmSet(options.warmSessions ?? DEFAULT_WARM_SESSIONS);
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
    const sid = input.identity.claims['sid'];
    const slot = new Slot(id, record.application, record.sub, createdAt, record.expiresAt, pack(record), typeof sid === 'string' ? sid : undefined, record);
    while (this.#sessions.size >= this.#maxSessions) this.#evictLeastRecentlyUsed();
    this.#sessions.set(id, slot);
    this.#recency.push(slot);
    this.#warm.admit(slot);
    this.#index(slot);
    return record;
  }

  async get(id: string, application: string): Promise<SessionRecord | null> {
    const slot = this.#live(id);
    if (slot === undefined || slot.application !== application) return null;
    this.#recency.touch(slot);
    return this.#recordOf(slot);
  }

  async update(record: SessionRecord): Promise<boolean> {
    const slot = this.#live(record.id);
    if (slot === undefined || !sameOwner(slot, record)) return false;
    const expiresAt = clampExpiry(slot.createdAt, record.expiresAt, this.#lifetimeMs);
    if (expiresAt <= this.#now()) {
      this.#remove(slot);
      return false;
    }
    const updated: SessionRecord = { id: slot.id, application: slot.application, sub: slot.sub, identity: record.identity, createdAt: slot.createdAt, expiresAt };
    slot.packed = pack(updated);
    slot.expiresAt = expiresAt;
    const wasWarm = slot.isWarm;
    slot.record = updated;
    if (!wasWarm) this.#warm.admit(slot);
    return true;
  }

  async delete(id: string): Promise<void> {
    const slot = this.#sessions.get(id);
    if (slot !== undefined) this.#remove(slot);
  }

  async deleteForUser(application: string, sub: string): Promise<number> {
    return this.#deleteAll(this.#byUser.get(application)?.get(sub));
  }

  #deleteAll(ids: Ids | undefined): number {
    if (ids === undefined) return 0;
    let ended = 0;
    for (const id of typeof ids === 'string' ? [ids] : [...ids]) {
      if (this.#live(id) !== undefined) ended += 1;
      const slot = this.#sessions.get(id);
      if (slot !== undefined) this.#remove(slot);
    }
    return ended;
  }

  async deleteForSid(sessionId: string, only?: SidScope): Promise<number> {
    const ids = this.#bySid.get(sessionId);
    if (only === undefined || ids === undefined) return this.#deleteAll(ids);
    const inScope = new Set<string>();
    for (const id of typeof ids === 'string' ? [ids] : ids) {
      const slot = this.#sessions.get(id);
      // Decoded without warming: a logout reads a session once.
      if (slot !== undefined && inSidScope(slot.record ?? decode(slot), only)) inScope.add(id);
    }
    return this.#deleteAll(inScope);
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
    for (const slot of this.#sessions.values()) if (slot.expiresAt <= now) this.#remove(slot);
    for (const [key, lock] of this.#locks) if (lock.expiresAt <= now) this.#locks.delete(key);
    for (const [key, counter] of this.#counters) if (counter.expiresAt <= now) this.#counters.delete(key);
    for (const [key, until] of this.#claims) if (until <= now) this.#claims.delete(key);
  }

  /** Entry counts, for tests and metrics. */
  stats(): { sessions: number; users: number; locks: number; counters: number } {
    return { sessions: this.#sessions.size, users: this.#users, locks: this.#locks.size, counters: this.#counters.size };
  }

  #freshId(): string {
    for (let attempt = 0; attempt < MAX_ID_ATTEMPTS; attempt += 1) {
      const id = newSessionId(this.#randomBytes);
      if (!this.#sessions.has(id)) return id;
    }
    throw idCollisionError();
  }

  #live(id: string): Slot | undefined {
    if (!isSessionId(id)) return undefined;
    const slot = this.#sessions.get(id);
    if (slot === undefined) return undefined;
    if (slot.expiresAt > this.#now()) return slot;
    this.#remove(slot);
    return undefined;
  }

  /** The decoded record: kept while the session is warm, else decoded and warmed. */
  #recordOf(slot: Slot): SessionRecord {
    if (slot.record !== undefined) {
      slot.recentlyRead = true;
      return slot.record;
    }
    const record = decode(slot);
    slot.record = record;
    this.#warm.admit(slot);
    return record;
  }

  #index(slot: Slot): void {
    let users = this.#byUser.get(slot.application);
    if (users === undefined) this.#byUser.set(slot.application, (users = new Map()));
    if (addId(users, slot.sub, slot.id)) this.#users += 1;
    for (const key of sidKeysFor(slot.sid)) addId(this.#bySid, key, slot.id);
  }

  #remove(slot: Slot): void {
    this.#sessions.delete(slot.id);
    this.#recency.remove(slot);
    this.#warm.forget(slot);
    const users = this.#byUser.get(slot.application);
    if (users !== undefined && removeId(users, slot.sub, slot.id)) {
      this.#users -= 1;
      if (users.size === 0) this.#byUser.delete(slot.application);
    }
    for (const key of sidKeysFor(slot.sid)) removeId(this.#bySid, key, slot.id);
  }

  #evictLeastRecentlyUsed(): void {
    const slot = this.#recency.oldest;
    if (slot !== undefined) this.#remove(slot);
  }
}

function pack(record: SessionRecord): PackedIdentity {
  return packIdentity({ sub: record.sub, ...record.identity });
}

function decode(slot: Slot): SessionRecord {
  const { sub: _sub, ...identity }: { sub: string } & SessionData = unpackIdentity(slot.packed);
  return { id: slot.id, application: slot.application, sub: slot.sub, identity, createdAt: slot.createdAt, expiresAt: slot.expiresAt };
}

/** Adds `id` under `key`; true when `key` is new. */
function addId(index: Map<string, Ids>, key: string, id: string): boolean {
  const ids = index.get(key);
  if (ids === undefined) {
    index.set(key, id);
    return true;
  }
  if (typeof ids !== 'string') ids.add(id);
  else if (ids !== id) index.set(key, new Set([ids, id]));
  return false;
}

/** Removes `id` from `key`; an entry is dropped with its last id (true), so an index never outgrows the sessions. */
function removeId(index: Map<string, Ids>, key: string, id: string): boolean {
  const ids = index.get(key);
  if (ids === undefined) return false;
  if (typeof ids === 'string') {
    if (ids !== id) return false;
    index.delete(key);
    return true;
  }
  ids.delete(id);
  if (ids.size > 1) return false;
  const [last] = ids;
  if (last === undefined) {
    index.delete(key);
    return true;
  }
  index.set(key, last);
  return false;
}

function sameOwner(stored: Slot, update: SessionRecord): boolean {
  return stored.application === update.application && stored.sub === update.sub && stored.createdAt === update.createdAt;
}

function firstKey<K>(map: Map<K, unknown>): K {
  const { value, done } = map.keys().next();
  if (done === true) throw new Error('firstKey of an empty map');
  return value;
}
