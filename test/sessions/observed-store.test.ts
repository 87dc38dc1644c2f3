import { describe, expect, it } from 'vitest';
import { MemorySessionStore, observeStore, type SessionStore } from '../../src/sessions/index.js';
import { newSession } from './fixtures.js';

const HOUR = 3_600_000;

interface Recorded {
  readonly operation: string;
  readonly ok: boolean;
  readonly seconds: number;
}

function observed(store: SessionStore): { store: SessionStore; recorded: Recorded[] } {
  const recorded: Recorded[] = [];
  return { store: observeStore(store, { record: (operation, ok, seconds) => recorded.push({ operation, ok, seconds }) }), recorded };
}

describe('observeStore', () => {
  it('records each operation once it settles, with what it returned passed through', async () => {
    const { store, recorded } = observed(new MemorySessionStore({ lifetimeMs: HOUR, maxSessions: 10, sweepIntervalMs: 0 }));
    const record = await store.create(newSession('app', 'alice', Date.now() + HOUR));
    expect(await store.get(record.id, 'app')).toMatchObject({ id: record.id, sub: 'alice' });
    expect(await store.get(record.id, 'other-app')).toBeNull();
    expect(recorded.map(({ operation, ok }) => [operation, ok])).toEqual([
      ['create', true],
      ['get', true],
      ['get', true],
    ]);
    expect(recorded.every(({ seconds }) => seconds >= 0 && seconds < 1)).toBe(true);
  });

  it('records a rejected operation as failed and passes the rejection on', async () => {
    const failure = new Error('store down');
    const failing = new MemorySessionStore({ lifetimeMs: HOUR, maxSessions: 10, sweepIntervalMs: 0 });
    failing.get = () => Promise.reject(failure);
    const { store, recorded } = observed(failing);
    await expect(store.get('x'.repeat(43), 'app')).rejects.toBe(failure);
    expect(recorded.map(({ operation, ok }) => [operation, ok])).toEqual([['get', false]]);
  });

  it('counts the time until the operation settles, from before the store was called', async () => {
    const slow = new MemorySessionStore({ lifetimeMs: HOUR, maxSessions: 10, sweepIntervalMs: 0 });
    slow.ping = () => new Promise((resolve) => setTimeout(resolve, 50));
    const { store, recorded } = observed(slow);
    await store.ping();
    expect(recorded[0]?.operation).toBe('ping');
    expect(recorded[0]?.seconds).toBeGreaterThanOrEqual(0.04);
  });
});
