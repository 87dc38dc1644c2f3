/**
 * The Redis store's record memo and revocation channel, against real Redis: a memoized session
 * costs no round trip, and a sign-out, refresh or back-channel logout in one replica reaches
 * every other one's memo through the channel; without the channel nothing is memoized.
 */

import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { SessionsConfig } from '../../src/config/types.js';
import { createRedisClient, createSessionStore, RedisSessionStore } from '../../src/sessions/index.js';
import type { RedisConnection } from '../../src/sessions/index.js';
import { SECRET, newSession } from './fixtures.js';
import { REDIS_URL, deleteKeys, describeIfRedis, probeRedis, redactUrl, testPrefix } from './redis-support.js';

const HOUR = 3_600_000;
const unavailable = await probeRedis(REDIS_URL);

function redisConfig(keyPrefix: string): SessionsConfig {
  return { store: 'redis', redis: { url: REDIS_URL, cluster: [], keyPrefix }, cookieName: '', lifetimeMs: 24 * HOUR };
}

/** A client that counts the commands the store sends, by name. */
function countingClient(keyPrefix: string): { client: RedisConnection & { duplicate(): Redis }; counts: Map<string, number> } {
  const real = createRedisClient(redisConfig(keyPrefix).redis) as Redis;
  const counts = new Map<string, number>();
  const call = real.call.bind(real) as (command: string, ...args: (string | number)[]) => Promise<unknown>;
  const client = Object.assign(real, {
    call: (command: string, ...args: (string | number)[]) => {
      counts.set(command, (counts.get(command) ?? 0) + 1);
      return call(command, ...args);
    },
  });
  return { client, counts };
}

function memoStore(keyPrefix: string, ttlMs = 60_000): { store: RedisSessionStore; counts: Map<string, number>; subscriber: Redis } {
  const { client, counts } = countingClient(keyPrefix);
  const subscriber = client.duplicate();
  const store = new RedisSessionStore({ client, secret: SECRET, keyPrefix, lifetimeMs: 24 * HOUR, revocations: { subscriber, memo: { ttlMs, maxEntries: 100 } } });
  return { store, counts, subscriber };
}

async function until(condition: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Until `subscribers` stores subscribed (each does once its connection is ready). */
async function subscribed(redis: Redis, channel: string, subscribers = 1): Promise<void> {
  await until(async () => {
    const [, count] = (await redis.call('PUBSUB', 'NUMSUB', channel)) as [string, number];
    return count >= subscribers;
  }, `${channel} has ${subscribers} subscriber(s)`);
}

describeIfRedis(unavailable && `Redis at ${redactUrl(REDIS_URL)} unreachable: ${unavailable}`, 'RedisSessionStore record memo', () => {
  const prefix = testPrefix();
  let raw: Redis;
  const open: RedisSessionStore[] = [];

  beforeAll(() => {
    raw = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    await Promise.all(open.map((store) => store.close()));
    await deleteKeys(raw, prefix);
    raw.disconnect();
  });

  async function replicas(name: string, ttlMs?: number) {
    const keyPrefix = `${prefix}${name}:`;
    const one = memoStore(keyPrefix, ttlMs);
    const two = memoStore(keyPrefix, ttlMs);
    open.push(one.store, two.store);
    await until(() => one.subscriber.status === 'ready' && two.subscriber.status === 'ready', 'both subscribers connect');
    await subscribed(raw, `${keyPrefix}revoked`, 2);
    return { one, two, keyPrefix };
  }

  it('answers a session read before without asking Redis again', async () => {
    const { one } = await replicas('hit');
    const session = await one.store.create(newSession('grafana', 'user-1', Date.now() + HOUR));
    // The feed goes live once its SUBSCRIBE is answered.
    await until(async () => (await one.store.get(session.id, 'grafana')) !== null && one.store.memoSize === 1, 'the record is memoized');
    const gets = one.counts.get('GET') ?? 0;
    for (let i = 0; i < 20; i += 1) expect(await one.store.get(session.id, 'grafana')).toEqual(session);
    expect(one.counts.get('GET') ?? 0).toBe(gets);
    // The application binding is checked on a memoized record as on a read one.
    expect(await one.store.get(session.id, 'wiki')).toBeNull();
  });

  it('carries a sign-out in one replica to the memo of another', async () => {
    const { one, two } = await replicas('signout');
    const session = await one.store.create(newSession('grafana', 'user-2', Date.now() + HOUR));
    await until(async () => (await two.store.get(session.id, 'grafana')) !== null && two.store.memoSize === 1, 'replica two memoizes');
    await one.store.delete(session.id);
    await until(() => two.store.memoSize === 0, 'replica two hears the revocation');
    expect(await two.store.get(session.id, 'grafana')).toBeNull();
  });

  it("carries a user's sign-out everywhere, and refreshes", async () => {
    const { one, two } = await replicas('logout');
    const a = await one.store.create(newSession('grafana', 'user-3', Date.now() + HOUR));
    const b = await one.store.create(newSession('grafana', 'user-4', Date.now() + HOUR));
    await until(async () => (await two.store.get(a.id, 'grafana')) !== null && (await two.store.get(b.id, 'grafana')) !== null && two.store.memoSize === 2, 'replica two memoizes both');

    // A refresh in replica one replaces the record: replica two must read the new one.
    const later = a.expiresAt - 1000;
    expect(await one.store.update({ ...a, expiresAt: later })).toBe(true);
    await until(() => two.store.memoSize === 1, 'replica two drops the refreshed record');
    expect((await two.store.get(a.id, 'grafana'))?.expiresAt).toBe(later);

    expect(await one.store.deleteForUser('grafana', 'user-4')).toBe(1);
    await until(async () => (await two.store.get(b.id, 'grafana')) === null, 'replica two ends user-4');
  });

  it('memoizes nothing while its subscription is down, and forgets what it had', async () => {
    const { one, two, keyPrefix } = await replicas('down');
    const session = await one.store.create(newSession('grafana', 'user-5', Date.now() + HOUR));
    await until(async () => (await two.store.get(session.id, 'grafana')) !== null && two.store.memoSize === 1, 'replica two memoizes');
    two.subscriber.disconnect();
    await until(() => two.store.memoSize === 0, 'replica two empties its memo');
    // Deleted behind Portcullis's back (no message at all): replica two still sees it at once.
    await raw.del(`${keyPrefix}session:${session.id}`);
    expect(await two.store.get(session.id, 'grafana')).toBeNull();
    expect(two.store.memoSize).toBe(0);
  });

  it('answers from memory at most ttl after the read, even when a change is never announced', async () => {
    const { one, two, keyPrefix } = await replicas('ttl', 300);
    const session = await one.store.create(newSession('grafana', 'user-6', Date.now() + HOUR));
    await until(async () => (await two.store.get(session.id, 'grafana')) !== null && two.store.memoSize === 1, 'replica two memoizes');
    const readAt = Date.now();
    // Changed outside Portcullis: no revocation is published.
    await raw.del(`${keyPrefix}session:${session.id}`);
    await until(async () => (await two.store.get(session.id, 'grafana')) === null, 'the memo entry ages out');
    expect(Date.now() - readAt).toBeLessThan(1500);
  });

  it('is what createSessionStore builds for the redis store', async () => {
    const keyPrefix = `${prefix}factory:`;
    const store = createSessionStore(redisConfig(keyPrefix), { secret: SECRET });
    await subscribed(raw, `${keyPrefix}revoked`);
    await store.close();
  });
});
