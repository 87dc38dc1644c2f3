/**
 * A SessionStore that reports each operation's latency and failures to an observer
 * (metrics), and otherwise behaves exactly like the store it wraps.
 */

import type { LockBusy, NewSession, SessionRecord, SessionStore, SidScope } from './store.js';

export interface StoreObserver {
  record(operation: string, ok: boolean, seconds: number): void;
}

export function observeStore(store: SessionStore, observer: StoreObserver): SessionStore {
  async function timed<T>(operation: string, run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const result = await run();
      observer.record(operation, true, (performance.now() - started) / 1000);
      return result;
    } catch (error) {
      observer.record(operation, false, (performance.now() - started) / 1000);
      throw error;
    }
  }
  return {
    create: (input: NewSession) => timed('create', () => store.create(input)),
    get: (id: string, application: string) => timedGet(store, observer, id, application),
    update: (record: SessionRecord) => timed('update', () => store.update(record)),
    delete: (id: string) => timed('delete', () => store.delete(id)),
    deleteForUser: (application: string, sub: string) => timed('delete_for_user', () => store.deleteForUser(application, sub)),
    deleteForSid: (sid: string, only?: SidScope) => timed('delete_for_sid', () => store.deleteForSid(sid, only)),
    claimOnce: (key: string, ttlMs: number) => timed('claim_once', () => store.claimOnce(key, ttlMs)),
    isClaimed: (key: string) => timed('is_claimed', () => store.isClaimed(key)),
    withLock: <T>(key: string, ttlMs: number, fn: () => Promise<T>): Promise<T | LockBusy> => store.withLock(key, ttlMs, fn),
    hit: (key: string, windowMs: number) => timed('hit', () => store.hit(key, windowMs)),
    ping: () => timed('ping', () => store.ping()),
    close: () => store.close(),
  };
}

/**
 * `get`, on every request with a session cookie: the same measurement as `timed`, without the
 * closure and the async frame it costs per call.
 */
async function timedGet(store: SessionStore, observer: StoreObserver, id: string, application: string): Promise<SessionRecord | null> {
  const started = performance.now();
  let ok = false;
  try {
    const record = await store.get(id, application);
    ok = true;
    return record;
  } finally {
    observer.record('get', ok, (performance.now() - started) / 1000);
  }
}
