import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionsConfig } from '../../src/config/types.js';
import { LOCK_BUSY, createSessionStore } from '../../src/sessions/index.js';
import type { SessionStore } from '../../src/sessions/index.js';
import { SECRET, newSession, sampleIdentity } from './fixtures.js';
import { REDIS_URL, deleteKeys, describeIfRedis, probeRedis, redactUrl, testPrefix } from './redis-support.js';
import { sessionStoreContract } from './store-contract.js';

const HOUR = 3_600_000;
const unavailable = await probeRedis(REDIS_URL);

function redisConfig(keyPrefix: string, lifetimeMs = 24 * HOUR): SessionsConfig {
  return { store: 'redis', redis: { url: REDIS_URL, cluster: [], keyPrefix }, cookieName: '', lifetimeMs };
}

describeIfRedis(unavailable && `Redis at ${redactUrl(REDIS_URL)} unreachable: ${unavailable}`, 'RedisSessionStore', () => {
  const prefix = testPrefix();
  let raw: Redis;
  let stores = 0;

  beforeAll(() => {
    raw = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    await deleteKeys(raw, prefix);
    raw.disconnect();
  });

  sessionStoreContract({
    open: ({ lifetimeMs, randomBytes }) =>
      createSessionStore(redisConfig(`${prefix}${(stores += 1)}:`, lifetimeMs), { secret: SECRET, ...(randomBytes ? { randomBytes } : {}) }),
    now: Date.now,
    pass: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  });

  describe('what Redis holds', () => {
    let store: SessionStore;
    const keyPrefix = `${prefix}raw:`;
    beforeAll(() => {
      store = createSessionStore(redisConfig(keyPrefix), { secret: SECRET });
    });
    afterAll(() => store.close());

    it('keeps tokens and identity out of raw values and key names', async () => {
      const identity = sampleIdentity({ email: 'secret-mail@example.com' });
      const session = await store.create(newSession('grafana', 'subject-42', Date.now() + HOUR, identity));
      const keys = await raw.keys(`${keyPrefix}*`);
      expect(keys).toHaveLength(2);
      const dump = (await Promise.all(keys.map((key) => rawValue(raw, key)))).join('\n') + keys.join('\n');
      for (const secret of [identity.accessToken, identity.refreshToken, identity.idToken, identity.email, 'subject-42']) {
        expect(dump).not.toContain(secret);
      }
      expect(await raw.get(`${keyPrefix}session:${session.id}`)).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
    });

    it('sets a TTL on the record and keeps the user index alive as long as its longest session', async () => {
      const sub = 'ttl-user';
      const short = await store.create(newSession('grafana', sub, Date.now() + HOUR));
      await store.create(newSession('grafana', sub, Date.now() + 2 * HOUR));
      const recordTtl = await raw.pttl(`${keyPrefix}session:${short.id}`);
      expect(recordTtl).toBeGreaterThan(HOUR - 5000);
      expect(recordTtl).toBeLessThanOrEqual(HOUR);
      const owning: string[] = [];
      for (const key of await raw.keys(`${keyPrefix}user:*`)) if ((await raw.zscore(key, short.id)) !== null) owning.push(key);
      expect(owning).toHaveLength(1);
      expect(await raw.zcard(owning[0]!)).toBe(2);
      expect(await raw.pttl(owning[0]!)).toBeGreaterThan(2 * HOUR - 5000);
    });

    it('treats a tampered, moved or foreign-secret record as no session, not as an error', async () => {
      const a = await store.create(newSession('grafana', 'user-1', Date.now() + HOUR));
      const b = await store.create(newSession('grafana', 'user-1', Date.now() + HOUR));
      const sealedA = (await raw.get(`${keyPrefix}session:${a.id}`)) ?? '';
      await raw.set(`${keyPrefix}session:${b.id}`, sealedA, 'PX', 60_000);
      expect(await store.get(b.id, 'grafana')).toBeNull();
      const other = createSessionStore(redisConfig(keyPrefix), { secret: 'another-secret-that-is-also-32-bytes-long' });
      expect(await other.get(a.id, 'grafana')).toBeNull();
      await other.close();
      await raw.set(`${keyPrefix}session:${a.id}`, `${sealedA.slice(0, -2)}AA`, 'PX', 60_000);
      expect(await store.get(a.id, 'grafana')).toBeNull();
    });
  });

  describe('replicas', () => {
    it('share sessions, sign-outs, locks and one-time values through Redis', async () => {
      const keyPrefix = `${prefix}replicas:`;
      const one = createSessionStore(redisConfig(keyPrefix), { secret: SECRET });
      const two = createSessionStore(redisConfig(keyPrefix), { secret: SECRET });
      const session = await one.create(newSession('grafana', 'user-1', Date.now() + HOUR));
      expect(await two.get(session.id, 'grafana')).toEqual(session);

      let release!: () => void;
      const held = one.withLock('refresh:user-1', 5000, () => new Promise<void>((resolve) => (release = resolve)));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await two.withLock('refresh:user-1', 5000, async () => 'ran')).toBe(LOCK_BUSY);
      release();
      await held;
      expect(await two.withLock('refresh:user-1', 5000, async () => 'ran')).toBe('ran');

      expect(await two.deleteForUser('grafana', 'user-1')).toBe(1);
      expect(await one.get(session.id, 'grafana')).toBeNull();
      // A one-time value (a logout token's jti, a login state) is accepted by one replica only.
      expect(await one.claimOnce('jti:abc', 60_000)).toBe(true);
      expect(await two.claimOnce('jti:abc', 60_000)).toBe(false);
      await Promise.all([one.close(), two.close()]);
    });
  });
});

async function rawValue(client: Redis, key: string): Promise<string> {
  const type = await client.type(key);
  if (type === 'string') return (await client.get(key)) ?? '';
  if (type === 'zset') return (await client.zrange(key, 0, -1)).join(' ');
  return '';
}
