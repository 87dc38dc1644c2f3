/**
 * A dead or hung Redis must turn into a quick, typed failure (the gateway answers 503), never
 * into "no session" and never into a request that hangs; and the same store must heal when Redis
 * comes back. Runs against private redis-server processes it can stop, pause and restart.
 */

import { afterAll, beforeAll, expect, it } from 'vitest';
import type { SessionsConfig } from '../../src/config/types.js';
import { createSessionStore } from '../../src/sessions/index.js';
import type { SessionStore } from '../../src/sessions/index.js';
import { SECRET, newSession } from './fixtures.js';
import { describeIfRedis, probeRedisServer, startRedisServer } from './redis-support.js';
import type { RedisServer } from './redis-support.js';

const HOUR = 3_600_000;
const TIMEOUT_MS = 300;
const unavailable = await probeRedisServer();

function storeFor(url: string): SessionStore {
  const config: SessionsConfig = { store: 'redis', redis: { url, cluster: [], keyPrefix: 'outage:' }, cookieName: '', lifetimeMs: 24 * HOUR };
  return createSessionStore(config, { secret: SECRET, redisTimeouts: { connectTimeoutMs: TIMEOUT_MS, commandTimeoutMs: TIMEOUT_MS } });
}

/** Rejects with the store-unavailable code, and does so quickly. */
async function expectUnavailable(operation: Promise<unknown>, withinMs = 1500): Promise<void> {
  const started = Date.now();
  await expect(operation).rejects.toMatchObject({ code: 'PCL_SESSION_STORE_UNAVAILABLE', name: 'SessionStoreUnavailableError' });
  expect(Date.now() - started).toBeLessThan(withinMs);
}

async function eventually(check: () => Promise<unknown>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

describeIfRedis(unavailable, 'RedisSessionStore when Redis fails', () => {
  let server: RedisServer;
  let store: SessionStore;

  beforeAll(async () => {
    server = await startRedisServer();
    store = storeFor(server.url);
  });
  afterAll(async () => {
    await store?.close();
    await server?.stop();
  });

  it('fails fast on a hung Redis and serves the same sessions once it answers again', async () => {
    const session = await store.create(newSession('grafana', 'user-1', Date.now() + HOUR));
    server.pause();
    try {
      await expectUnavailable(store.get(session.id, 'grafana'));
      await expectUnavailable(store.create(newSession('grafana', 'user-1', Date.now() + HOUR)));
    } finally {
      server.resume();
    }
    await eventually(() => store.ping());
    expect(await store.get(session.id, 'grafana')).toEqual(session);
  });

  it('fails fast on every operation while Redis is down, then heals without a new store', async () => {
    const session = await store.create(newSession('grafana', 'user-1', Date.now() + HOUR));
    await server.crash();
    let ran = false;
    await expectUnavailable(store.get(session.id, 'grafana'));
    await expectUnavailable(store.create(newSession('grafana', 'user-1', Date.now() + HOUR)));
    await expectUnavailable(store.update(session));
    await expectUnavailable(store.delete(session.id));
    await expectUnavailable(store.deleteForUser('grafana', 'user-1'));
    await expectUnavailable(store.withLock('k', 1000, async () => (ran = true)));
    await expectUnavailable(store.hit('k', 1000));
    await expectUnavailable(store.ping());
    expect(ran).toBe(false);

    await server.restart(); // an empty Redis: the old sessions are gone, the store works again
    await eventually(() => store.ping());
    expect(await store.get(session.id, 'grafana')).toBeNull();
    const fresh = await store.create(newSession('grafana', 'user-1', Date.now() + HOUR));
    expect(await store.get(fresh.id, 'grafana')).toEqual(fresh);
  });

  it('fails fast when Redis was never reachable', async () => {
    const spare = await startRedisServer();
    const url = spare.url;
    await spare.stop(); // a port with nothing listening
    const orphan = storeFor(url);
    await expectUnavailable(orphan.create(newSession('grafana', 'user-1', Date.now() + HOUR)));
    await expectUnavailable(orphan.get('A'.repeat(43), 'grafana'));
    await orphan.close();
  });

  it('still returns fn’s result when Redis stops answering before the lock is released', async () => {
    const errors: Error[] = [];
    const watched = createSessionStore(
      { store: 'redis', redis: { url: server.url, cluster: [], keyPrefix: 'outage:' }, cookieName: '', lifetimeMs: HOUR },
      { secret: SECRET, redisTimeouts: { commandTimeoutMs: TIMEOUT_MS }, onRedisError: (error) => errors.push(error) },
    );
    const result = await watched.withLock('during-outage', 5000, async () => {
      server.pause();
      return 'refreshed';
    });
    server.resume();
    expect(result).toBe('refreshed');
    expect(errors.length).toBeGreaterThan(0); // reported for logging; the lock ends with its TTL
    await watched.close();
  });
});
