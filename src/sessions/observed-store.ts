/**
 * A SessionStore that reports each operation's latency and failures to an observer
 * (metrics), and otherwise behaves exactly like the store it wraps.
 */

import type { LockBusy, NewSession, SessionRecord, SessionStore, SidScope } from './store.js';

export interface StoreObserver {
  record(operation: string, ok: boolean, seconds: number): void;
}

export function observeStore(store: SessionStore, observer: StoreObserver): SessionStore {
  /**
   * Records one operation once it settles. It takes the operation's promise, not a function
   * that starts it: `get` runs on every request with a session cookie, and a closure per call
   * was measurable there. The start time is read before the store is called (arguments are
   * evaluated in order); a store rejects rather than throws, as SessionStore's methods return
   * promises.
   */
  async function timed<T>(operation: string, started: number, pending: Promise<T>): Promise<T> {
    let ok = false;
    try {
      const result = await pending;
      ok = true;
      return result;
    } finally {
      observer.record(operation, ok, (performance.now() - started) / 1000);
    }
  }
  return {
    create: (input: NewSession) => timed('create', performance.now(), store.create(input)),
    get: (id: string, application: string) => timed('get', performance.now(), store.get(id, application)),
    update: (record: SessionRecord) => timed('update', performance.now(), store.update(record)),
    delete: (id: string) => timed('delete', performance.now(), store.delete(id)),
    deleteForUser: (application: string, sub: string) => timed('delete_for_user', performance.now(), store.deleteForUser(application, sub)),
    deleteForSid: (sid: string, only?: SidScope) => timed('delete_for_sid', performance.now(), store.deleteForSid(sid, only)),
    claimOnce: (key: string, ttlMs: number) => timed('claim_once', performance.now(), store.claimOnce(key, ttlMs)),
    isClaimed: (key: string) => timed('is_claimed', performance.now(), store.isClaimed(key)),
    withLock: <T>(key: string, ttlMs: number, fn: () => Promise<T>): Promise<T | LockBusy> => store.withLock(key, ttlMs, fn),
    hit: (key: string, windowMs: number) => timed('hit', performance.now(), store.hit(key, windowMs)),
    ping: () => timed('ping', performance.now(), store.ping()),
    close: () => store.close(),
  };
}
