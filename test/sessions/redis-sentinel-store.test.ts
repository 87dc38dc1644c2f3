/** `redis+sentinel://` URLs reach the master a real Sentinel names. */

import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSessionStore } from '../../src/sessions/index.js';
import { SECRET, newSession } from './fixtures.js';
import { describeIfRedis, probeRedisServer, startRedisSentinel, startRedisServer } from './redis-support.js';
import type { RedisServer } from './redis-support.js';

const HOUR = 3_600_000;
const unavailable = await probeRedisServer();

describeIfRedis(unavailable, 'RedisSessionStore through Redis Sentinel', () => {
  let master: RedisServer;
  let sentinel: RedisServer;
  beforeAll(async () => {
    master = await startRedisServer();
    sentinel = await startRedisSentinel(master.port, 'sessions-master');
  });
  afterAll(async () => {
    await sentinel?.stop();
    await master?.stop();
  });

  it('stores sessions on the master the sentinel names', async () => {
    const url = `redis+sentinel://127.0.0.1:1,127.0.0.1:${sentinel.port}/sessions-master/3`;
    const store = createSessionStore(
      { store: 'redis', redis: { url, cluster: [], keyPrefix: 'sentinel-test:' }, cookieName: '', lifetimeMs: 24 * HOUR },
      { secret: SECRET },
    );
    const session = await store.create(newSession('grafana', 'user-1', Date.now() + HOUR));
    expect(await store.get(session.id, 'grafana')).toEqual(session);
    const direct = new Redis(`${master.url}/3`);
    expect(await direct.exists(`sentinel-test:session:${session.id}`)).toBe(1);
    direct.disconnect();
    await store.close();
  });
});
