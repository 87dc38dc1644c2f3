/**
 * The contract suite once more against a real three-node Redis Cluster, so multi-slot behaviour
 * (hash tags, one script per key, one DEL per session) is exercised, not assumed.
 */

import { afterAll, beforeAll, expect, it } from 'vitest';
import type { SessionsConfig } from '../../src/config/types.js';
import { createSessionStore } from '../../src/sessions/index.js';
import { SECRET, newSession } from './fixtures.js';
import { describeIfRedis, probeRedisServer, startRedisCluster } from './redis-support.js';
import type { RedisCluster } from './redis-support.js';
import { sessionStoreContract } from './store-contract.js';

const HOUR = 3_600_000;
const unavailable = await probeRedisServer();

describeIfRedis(unavailable, 'RedisSessionStore on Redis Cluster', () => {
  let cluster: RedisCluster;
  beforeAll(async () => {
    cluster = await startRedisCluster();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  let stores = 0;
  const config = (lifetimeMs: number): SessionsConfig => ({
    store: 'redis',
    redis: { url: '', cluster: cluster.urls, keyPrefix: `cluster-test:${(stores += 1)}:` },
    cookieName: '',
    lifetimeMs,
  });

  sessionStoreContract({
    open: ({ lifetimeMs, randomBytes }) => createSessionStore(config(lifetimeMs), { secret: SECRET, ...(randomBytes ? { randomBytes } : {}) }),
    now: Date.now,
    pass: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  });

  it('ends a user’s sessions spread over every node', async () => {
    const store = createSessionStore(config(24 * HOUR), { secret: SECRET });
    const sessions = await Promise.all(Array.from({ length: 30 }, () => store.create(newSession('grafana', 'spread', Date.now() + HOUR))));
    expect(await store.deleteForUser('grafana', 'spread')).toBe(30);
    for (const session of sessions) expect(await store.get(session.id, 'grafana')).toBeNull();
    await store.close();
  });
});
