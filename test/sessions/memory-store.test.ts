import { describe, expect, it } from 'vitest';
import { MemorySessionStore, createSessionStore } from '../../src/sessions/index.js';
import type { SessionsConfig } from '../../src/config/types.js';
import { SECRET, newSession } from './fixtures.js';
import { sessionStoreContract } from './store-contract.js';

const HOUR = 3_600_000;

function fakeClock(start = 1_700_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return { now: () => time, advance: (ms) => void (time += ms) };
}

function memoryConfig(lifetimeMs: number): SessionsConfig {
  return { store: 'memory', redis: { url: '', cluster: [], keyPrefix: '' }, cookieName: '', lifetimeMs };
}

describe('MemorySessionStore', () => {
  const clock = fakeClock();
  sessionStoreContract({
    open: ({ lifetimeMs, randomBytes }) =>
      createSessionStore(memoryConfig(lifetimeMs), { secret: SECRET, now: clock.now, ...(randomBytes ? { randomBytes } : {}) }),
    now: clock.now,
    pass: async (ms) => clock.advance(ms),
  });

  describe('bounds', () => {
    it('evicts the least recently used sessions when full', async () => {
      const clock = fakeClock();
      const store = new MemorySessionStore({ lifetimeMs: HOUR, maxSessions: 10, sweepIntervalMs: 0, now: clock.now });
      const sessions = [];
      for (let i = 0; i < 10; i += 1) sessions.push(await store.create(newSession('grafana', `user-${i}`, clock.now() + HOUR)));
      const [oldest, second] = sessions;
      await store.get(oldest!.id, 'grafana'); // recently used: survives
      for (let i = 10; i < 15; i += 1) await store.create(newSession('grafana', `user-${i}`, clock.now() + HOUR));
      expect(store.stats().sessions).toBe(10);
      expect(store.stats().users).toBe(10);
      expect(await store.get(oldest!.id, 'grafana')).not.toBeNull();
      expect(await store.get(second!.id, 'grafana')).toBeNull();
      expect(await store.deleteForUser('grafana', 'user-1')).toBe(0);
      await store.close();
    });

    it('never holds more than maxSessions, however many are created', async () => {
      const store = new MemorySessionStore({ lifetimeMs: HOUR, maxSessions: 100, sweepIntervalMs: 0 });
      for (let i = 0; i < 1000; i += 1) await store.create(newSession('grafana', `user-${i % 37}`, Date.now() + HOUR));
      expect(store.stats().sessions).toBeLessThanOrEqual(100);
      expect(store.stats().users).toBeLessThanOrEqual(37);
      await store.close();
    });

    it('bounds the number of hit counters', async () => {
      const store = new MemorySessionStore({ lifetimeMs: HOUR, maxSessions: 50, sweepIntervalMs: 0 });
      for (let i = 0; i < 500; i += 1) await store.hit(`ip-${i}`, 60_000);
      expect(store.stats().counters).toBeLessThanOrEqual(50);
      await store.close();
    });
  });

  describe('per-user index', () => {
    it('shrinks back to nothing as sessions are deleted, ended or expire', async () => {
      const clock = fakeClock();
      const store = new MemorySessionStore({ lifetimeMs: HOUR, sweepIntervalMs: 0, now: clock.now });
      const created = [];
      for (let i = 0; i < 60; i += 1) created.push(await store.create(newSession('grafana', `user-${i % 30}`, clock.now() + (i < 20 ? 1000 : HOUR))));
      expect(store.stats()).toMatchObject({ sessions: 60, users: 30 });

      for (const session of created.slice(20, 40)) await store.delete(session.id);
      for (let i = 0; i < 30; i += 1) if (i % 2 === 0) await store.deleteForUser('grafana', `user-${i}`);
      clock.advance(2000);
      store.sweep();
      const left = created.slice(40).filter((s) => Number(s.sub.slice(5)) % 2 === 1);
      expect(store.stats()).toEqual({ sessions: left.length, users: new Set(left.map((s) => s.sub)).size, locks: 0, counters: 0 });

      for (const session of left) await store.delete(session.id);
      expect(store.stats()).toEqual({ sessions: 0, users: 0, locks: 0, counters: 0 });
      await store.close();
    });

    it('drops an expired session from the index when it is read', async () => {
      const clock = fakeClock();
      const store = new MemorySessionStore({ lifetimeMs: HOUR, sweepIntervalMs: 0, now: clock.now });
      const session = await store.create(newSession('grafana', 'user-1', clock.now() + 1000));
      clock.advance(1000);
      expect(await store.get(session.id, 'grafana')).toBeNull();
      expect(store.stats()).toMatchObject({ sessions: 0, users: 0 });
      await store.close();
    });
  });

  it('sweeps expired locks and counters', async () => {
    const clock = fakeClock();
    const store = new MemorySessionStore({ lifetimeMs: HOUR, sweepIntervalMs: 0, now: clock.now });
    await store.hit('ip-1', 1000);
    void store.withLock('k', 1000, () => new Promise(() => {}));
    expect(store.stats()).toMatchObject({ locks: 1, counters: 1 });
    clock.advance(2000);
    store.sweep();
    expect(store.stats()).toMatchObject({ locks: 0, counters: 0 });
    await store.close();
  });

  it('sweeps on a timer that does not keep the process alive', async () => {
    const store = new MemorySessionStore({ lifetimeMs: HOUR, sweepIntervalMs: 10 });
    await store.create(newSession('grafana', 'user-1', Date.now() + 30));
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(store.stats().sessions).toBe(0);
    await store.close();
  });
});
