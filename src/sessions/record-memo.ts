/**
 * The Redis store's memo of records it read and opened recently, so that a session's requests
 * do not each pay a Redis round trip, AES-GCM and JSON parsing. It is only ever consulted while
 * the revocation feed is live (revocation-feed.ts): every sign-out, refresh and back-channel
 * logout in any replica evicts the record here within the feed's delivery time, and an entry
 * outlives its read by at most `ttlMs` even when a message is lost.
 */

import type { SessionRecord } from './store.js';

interface Entry {
  readonly record: SessionRecord;
  readonly until: number;
}

export interface RecordMemoOptions {
  /** Longest time a record is answered from here after it was read from Redis. */
  readonly ttlMs: number;
  /** Most records kept; the oldest read goes first. */
  readonly maxEntries: number;
}

export class RecordMemo {
  readonly #entries = new Map<string, Entry>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;

  constructor(options: RecordMemoOptions) {
    this.#ttlMs = options.ttlMs;
    this.#maxEntries = options.maxEntries;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(id: string, now: number): SessionRecord | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined) return undefined;
    if (entry.until > now) return entry.record;
    this.#entries.delete(id);
    return undefined;
  }

  remember(record: SessionRecord, now: number): void {
    if (this.#entries.size >= this.#maxEntries && !this.#entries.has(record.id)) {
      // Maps iterate in insertion order: the first key is the oldest read.
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    this.#entries.delete(record.id);
    this.#entries.set(record.id, { record, until: Math.min(now + this.#ttlMs, record.expiresAt) });
  }

  forget(id: string): void {
    this.#entries.delete(id);
  }

  clear(): void {
    this.#entries.clear();
  }
}
