/**
 * Sessions in Redis, shared by every replica. Records are sealed (AES-256-GCM, see
 * record-cipher.ts) under `<keyPrefix>session:<id>` with a PX TTL; a per-user index
 * `<keyPrefix>user:{<digest>}` (sorted set by expiry) finds a user's sessions for sign-out.
 * Hash tags (`{…}`) keep each index, lock and counter in one slot on Redis Cluster.
 *
 * Any Redis failure rejects with `SessionStoreUnavailableError`; nothing is ever reported as
 * "no session" because Redis did not answer.
 *
 * With `revocations`, records read recently are answered from a local memo while the
 * revocation channel is subscribed, and every change that ends or replaces a session is
 * published there, so the other replicas evict it (record-memo.ts, revocation-feed.ts).
 */

import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import { SessionStoreUnavailableError } from './errors.js';
import { RecordCipher } from './record-cipher.js';
import { RecordMemo, type RecordMemoOptions } from './record-memo.js';
import { REVOCATION_SEPARATOR, RevocationFeed, type RedisSubscriber } from './revocation-feed.js';
import {
  MAX_ID_ATTEMPTS,
  assertCreatable,
  assertPositiveMs,
  clampExpiry,
  idCollisionError,
  isSessionId,
  newSessionId,
} from './record.js';
import type { RedisConnection } from './redis-client.js';
import { DEFAULT_CONNECT_TIMEOUT_MS } from './redis-client.js';
import { HIT_COUNTER, INDEX_SESSION, RELEASE_LOCK, TAKE_USER_SESSIONS } from './redis-scripts.js';
import { slidingCount, windowPosition } from './sliding-window.js';
import { inSidScope, LOCK_BUSY, sidKeysOf, type SidScope } from './store.js';
import type { Clock, LockBusy, NewSession, RandomBytes, SessionData, SessionRecord, SessionStore } from './store.js';

export interface RedisStoreOptions {
  /** The store owns the client from now on and closes it in `close()`. */
  readonly client: RedisConnection;
  /** Keys sealing and index names derive from it (HKDF); replicas sharing sessions share it. */
  readonly secret: string;
  readonly keyPrefix: string;
  readonly lifetimeMs: number;
  /** How long a command issued before the very first connection waits for it. Default 1000 ms. */
  readonly connectTimeoutMs?: number;
  readonly now?: Clock;
  readonly randomBytes?: RandomBytes;
  /** Connection errors ioredis reports between commands (for logging); commands reject on their own. */
  readonly onError?: (error: Error) => void;
  /**
   * A second connection for the revocation channel, and the memo it keeps safe. Absent, every
   * `get` reads Redis.
   */
  readonly revocations?: { readonly subscriber: RedisSubscriber; readonly memo: RecordMemoOptions };
}

type Arg = string | number;

export class RedisSessionStore implements SessionStore {
  readonly #client: RedisConnection;
  readonly #cipher: RecordCipher;
  readonly #prefix: string;
  readonly #lifetimeMs: number;
  readonly #connectTimeoutMs: number;
  readonly #now: Clock;
  readonly #randomBytes: RandomBytes;
  readonly #onError: (error: Error) => void;
  #connectedOnce = false;
  #firstConnection: Promise<void> | undefined;
  readonly #memo: RecordMemo | null;
  readonly #feed: RevocationFeed | null;

  constructor(options: RedisStoreOptions) {
    assertPositiveMs('lifetimeMs', options.lifetimeMs);
    this.#client = options.client;
    this.#cipher = new RecordCipher(options.secret);
    this.#prefix = options.keyPrefix;
    this.#lifetimeMs = options.lifetimeMs;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.#now = options.now ?? Date.now;
    this.#randomBytes = options.randomBytes ?? cryptoRandomBytes;
    this.#onError = options.onError ?? (() => {});
    // Without a listener ioredis prints every reconnection failure to the console.
    this.#client.on('error', (error) => this.#onError(error));
    this.#connectedOnce = this.#client.status === 'ready';
    this.#client.on('ready', () => {
      this.#connectedOnce = true;
    });
    const revocations = options.revocations;
    const memo = revocations === undefined ? null : new RecordMemo(revocations.memo);
    this.#memo = memo;
    this.#feed =
      revocations === undefined || memo === null
        ? null
        : new RevocationFeed({
            subscriber: revocations.subscriber,
            channel: this.#revocationChannel(),
            onRevoked: (id) => memo.forget(id),
            onInterrupted: () => memo.clear(),
            onError: (error) => this.#onError(error),
          });
  }

  /** Records the memo holds now (tests, metrics). */
  get memoSize(): number {
    return this.#memo?.size ?? 0;
  }

  async create(input: NewSession): Promise<SessionRecord> {
    const createdAt = this.#now();
    assertCreatable(input, createdAt);
    const expiresAt = clampExpiry(createdAt, input.expiresAt, this.#lifetimeMs);
    const index = this.#userKey(input.application, input.sub);
    for (let attempt = 0; attempt < MAX_ID_ATTEMPTS; attempt += 1) {
      const record: SessionRecord = { ...pickNew(input), id: newSessionId(this.#randomBytes), createdAt, expiresAt };
      // Index first: a session that exists is always found by sign-out, even mid-create.
      await this.#eval('create', INDEX_SESSION, index, record.id, expiresAt, createdAt, 'add');
      for (const key of sidKeysOf(record)) await this.#eval('create', INDEX_SESSION, this.#sidKey(key), record.id, expiresAt, createdAt, 'add');
      const stored = await this.#call('create', 'SET', this.#sessionKey(record.id), this.#seal(record), 'PX', ttl(expiresAt, createdAt), 'NX');
      if (stored === 'OK') return record;
      await this.#call('create', 'ZREM', index, record.id);
      for (const key of sidKeysOf(record)) await this.#call('create', 'ZREM', this.#sidKey(key), record.id);
    }
    throw idCollisionError();
  }

  async get(id: string, application: string): Promise<SessionRecord | null> {
    if (!isSessionId(id)) return null;
    const record = this.#remembered(id) ?? (await this.#loadAndRemember(id));
    if (record === null || record.application !== application || record.expiresAt <= this.#now()) return null;
    return record;
  }

  #remembered(id: string): SessionRecord | undefined {
    return this.#feed?.live === true ? this.#memo?.get(id, this.#now()) : undefined;
  }

  async #loadAndRemember(id: string): Promise<SessionRecord | null> {
    const feed = this.#feed;
    const changesBefore = feed?.changes ?? 0;
    const record = await this.#load('get', id);
    // Only a read no revocation could have overtaken: the feed heard nothing while it ran.
    if (record !== null && feed !== null && feed.live && feed.changes === changesBefore) this.#memo?.remember(record, this.#now());
    return record;
  }

  async update(record: SessionRecord): Promise<boolean> {
    if (!isSessionId(record.id)) return false;
    const stored = await this.#load('update', record.id);
    if (stored === null || !sameOwner(stored, record)) return false;
    const now = this.#now();
    const expiresAt = clampExpiry(stored.createdAt, record.expiresAt, this.#lifetimeMs);
    if (expiresAt <= now) {
      await this.delete(record.id);
      return false;
    }
    const next: SessionRecord = { ...stored, identity: record.identity, expiresAt };
    // XX: if sign-out deleted the session meanwhile, the refresh must not bring it back.
    const written = await this.#call('update', 'SET', this.#sessionKey(next.id), this.#seal(next), 'PX', ttl(expiresAt, now), 'XX');
    await this.#revoked([next.id]);
    if (written !== 'OK') return false;
    await this.#eval('update', INDEX_SESSION, this.#userKey(next.application, next.sub), next.id, expiresAt, now, 'touch');
    return true;
  }

  async delete(id: string): Promise<void> {
    if (!isSessionId(id)) return;
    const record = await this.#load('delete', id);
    await this.#call('delete', 'DEL', this.#sessionKey(id));
    await this.#revoked([id]);
    if (record !== null) await this.#call('delete', 'ZREM', this.#userKey(record.application, record.sub), id);
    for (const key of record === null ? [] : sidKeysOf(record)) await this.#call('delete', 'ZREM', this.#sidKey(key), id);
  }

  async deleteForUser(application: string, sub: string): Promise<number> {
    return this.#takeAll('deleteForUser', this.#userKey(application, sub));
  }

  async deleteForSid(sessionId: string, only?: SidScope): Promise<number> {
    if (only === undefined) {
      // The other indexes may keep the ids for a while; they name deleted keys, which deletes nothing.
      return this.#takeAll('deleteForSid', this.#sidKey(sessionId));
    }
    const ids = await this.#call('deleteForSid', 'ZRANGE', this.#sidKey(sessionId), 0, -1);
    if (!Array.isArray(ids)) throw unexpectedReply('deleteForSid');
    let ended = 0;
    for (const id of ids.map(String)) {
      const record = await this.#load('deleteForSid', id);
      if (record !== null && inSidScope(record, only)) {
        await this.#call('deleteForSid', 'DEL', this.#sessionKey(id));
        await this.#revoked([id]);
        ended += 1;
      }
    }
    return ended;
  }

  async claimOnce(key: string, ttlMs: number): Promise<boolean> {
    assertPositiveMs('ttlMs', ttlMs);
    return (await this.#call('claimOnce', 'SET', this.#onceKey(key), '1', 'PX', ttlMs, 'NX')) === 'OK';
  }

  async isClaimed(key: string): Promise<boolean> {
    return (await this.#call('isClaimed', 'EXISTS', this.#onceKey(key))) === 1;
  }

  #onceKey(key: string): string {
    return `${this.#prefix}once:{${key}}`;
  }

  async #takeAll(operation: 'deleteForUser' | 'deleteForSid', index: string): Promise<number> {
    const ids = await this.#eval(operation, TAKE_USER_SESSIONS, index);
    if (!Array.isArray(ids)) throw unexpectedReply(operation);
    // One DEL per key: session keys live in different cluster slots.
    const deleted = await Promise.all(ids.map((id) => this.#call(operation, 'DEL', this.#sessionKey(String(id)))));
    await this.#revoked(ids.map(String));
    return deleted.filter((count) => count === 1).length;
  }

  async withLock<T>(key: string, ttlMs: number, fn: () => Promise<T>): Promise<T | LockBusy> {
    assertPositiveMs('ttlMs', ttlMs);
    const lockKey = `${this.#prefix}lock:{${key}}`;
    const token = this.#randomBytes(16).toString('base64url');
    const acquired = await this.#call('withLock', 'SET', lockKey, token, 'PX', ttlMs, 'NX');
    if (acquired !== 'OK') return LOCK_BUSY;
    try {
      return await fn();
    } finally {
      await this.#release(lockKey, token);
    }
  }

  async hit(key: string, windowMs: number): Promise<number> {
    assertPositiveMs('windowMs', windowMs);
    const { bucket, elapsed } = windowPosition(this.#now(), windowMs);
    const reply = await this.#eval('hit', HIT_COUNTER, `${this.#prefix}hit:{${key}}`, bucket, bucket - 1, 2 * windowMs);
    if (!Array.isArray(reply) || typeof reply[0] !== 'number' || typeof reply[1] !== 'number') throw unexpectedReply('hit');
    return slidingCount(reply[0], reply[1], elapsed, windowMs);
  }

  async ping(): Promise<void> {
    await this.#call('ping', 'PING');
  }

  async close(): Promise<void> {
    await this.#feed?.close();
    try {
      await this.#client.quit();
    } catch {
      this.#client.disconnect(); // Redis unreachable: QUIT cannot be sent, drop the socket
    }
  }

  /**
   * Tells every replica (this one first) that these sessions ended or changed. A failed publish
   * is logged, not thrown: the change itself is done, and a memo that missed it forgets the
   * record within its TTL.
   */
  async #revoked(ids: readonly string[]): Promise<void> {
    if (this.#feed === null || ids.length === 0) return;
    for (const id of ids) this.#memo?.forget(id);
    try {
      await this.#client.call('PUBLISH', this.#revocationChannel(), ids.join(REVOCATION_SEPARATOR));
    } catch (error) {
      this.#onError(error instanceof Error ? error : new Error(String(error)));
    }
  }

  #revocationChannel(): string {
    return `${this.#prefix}revoked`;
  }

  #sessionKey(id: string): string {
    return `${this.#prefix}session:${id}`;
  }

  /** The IdP session's index; the digest is keyed like the user index's (no sid in plaintext). */
  #sidKey(sid: string): string {
    return `${this.#prefix}sid:{${this.#cipher.userDigest('', sid)}}`;
  }

  #userKey(application: string, sub: string): string {
    return `${this.#prefix}user:{${this.#cipher.userDigest(application, sub)}}`;
  }

  #seal(record: SessionRecord): string {
    const { id, ...stored } = record;
    return this.#cipher.seal(id, JSON.stringify(stored));
  }

  async #load(operation: string, id: string): Promise<SessionRecord | null> {
    const sealed = await this.#call(operation, 'GET', this.#sessionKey(id));
    if (sealed === null) return null;
    if (typeof sealed !== 'string') throw unexpectedReply(operation);
    const json = this.#cipher.open(id, sealed);
    // Unreadable (tampered, or sealed under a previous secret): not a session we issued.
    return json === null ? null : parseStored(id, json);
  }

  async #release(lockKey: string, token: string): Promise<void> {
    try {
      await this.#eval('withLock', RELEASE_LOCK, lockKey, token);
    } catch (error) {
      // fn's result must still reach the caller; the lock frees itself when its TTL ends.
      this.#onError(error instanceof Error ? error : new Error(String(error)));
    }
  }

  #eval(operation: string, script: string, key: string, ...args: Arg[]): Promise<unknown> {
    return this.#call(operation, 'EVAL', script, 1, key, ...args);
  }

  async #call(operation: string, command: string, ...args: Arg[]): Promise<unknown> {
    await this.#awaitFirstConnection();
    try {
      return await this.#client.call(command, ...args);
    } catch (cause) {
      throw new SessionStoreUnavailableError(operation, { cause });
    }
  }

  /**
   * With the offline queue off, a command sent while the very first connection is still being
   * opened would fail; wait for it (bounded). Later outages are not waited for: fail fast.
   */
  #awaitFirstConnection(): Promise<void> {
    if (this.#connectedOnce || !['connecting', 'connect'].includes(this.#client.status)) return Promise.resolve();
    this.#firstConnection ??= new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        for (const event of ['ready', 'close', 'end'] as const) this.#client.off(event, done);
        this.#firstConnection = undefined;
        resolve();
      };
      const timer = setTimeout(done, this.#connectTimeoutMs);
      for (const event of ['ready', 'close', 'end'] as const) this.#client.on(event, done);
    });
    return this.#firstConnection;
  }
}

function pickNew(input: NewSession): Pick<SessionRecord, 'application' | 'sub' | 'identity'> {
  return { application: input.application, sub: input.sub, identity: input.identity };
}

function ttl(expiresAt: number, now: number): number {
  return Math.max(1, Math.ceil(expiresAt - now));
}

function sameOwner(stored: SessionRecord, update: SessionRecord): boolean {
  return stored.application === update.application && stored.sub === update.sub && stored.createdAt === update.createdAt;
}

function parseStored(id: string, json: string): SessionRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { application, sub, identity, createdAt, expiresAt } = value as Record<string, unknown>;
  if (typeof application !== 'string' || typeof sub !== 'string' || typeof createdAt !== 'number' || typeof expiresAt !== 'number') return null;
  if (typeof identity !== 'object' || identity === null) return null;
  // The GCM tag proved this JSON was written by #seal from a SessionRecord; its shape is ours.
  return { id, application, sub, identity: identity as SessionData, createdAt, expiresAt };
}

function unexpectedReply(operation: string): SessionStoreUnavailableError {
  return new SessionStoreUnavailableError(operation, { cause: new Error('unexpected reply from Redis') });
}
