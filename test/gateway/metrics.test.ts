import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startAuthStack, basic, PASSWORDS, type AuthStack, type GatewayUnderTest } from '../support/auth-stack.js';
import { describeNeeding } from '../support/real-parts.js';
import { deleteKeysUnder, newKeyPrefix, REDIS_URL, redisProblem } from '../support/redis.js';

let stack: AuthStack;

beforeAll(async () => {
  stack = await startAuthStack({ app: 'skipPathRegex: ["^/public/"]' });
});
afterAll(async () => {
  await stack?.close();
});

async function scrape(gateway: GatewayUnderTest = stack): Promise<string> {
  const health = gateway.gw.health;
  if (health === null) throw new Error('the stack has no metrics listener');
  const res = await request(`${health}/metrics`);
  expect(res.headers['content-type']).toMatch(/^text\/plain/);
  return res.body.text();
}

function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

describe('metrics on metricsListen', () => {
  it('counts requests by application, outcome and auth method', async () => {
    const before = await scrape();
    await stack.get('/private');
    await stack.get('/private', { authorization: basic('alice', PASSWORDS.alice.cli) });
    await stack.get('/public/x');
    const after = await scrape();
    for (const series of [
      'portcullis_requests_total{app="app",outcome="challenged",auth_method="none"}',
      'portcullis_requests_total{app="app",outcome="allowed",auth_method="basic"}',
      'portcullis_requests_total{app="app",outcome="allowed",auth_method="none"}',
    ]) {
      expect(value(after, series) - value(before, series), series).toBe(1);
    }
  });

  it('counts IdP calls by endpoint and credential cache hits', async () => {
    const before = await scrape();
    await stack.get('/private', { authorization: basic('bob', PASSWORDS.bob.cli) });
    await stack.get('/private', { authorization: basic('bob', PASSWORDS.bob.cli) });
    const after = await scrape();
    expect(value(after, 'portcullis_idp_requests_total{endpoint="token",result="ok"}') - value(before, 'portcullis_idp_requests_total{endpoint="token",result="ok"}')).toBe(1);
    expect(value(after, 'portcullis_credential_cache_hits_total') - value(before, 'portcullis_credential_cache_hits_total')).toBe(1);
    expect(after).toContain('portcullis_upstream_duration_seconds_count{app="app"}');
    // The memory store answers in process: it is not timed (docs/operations.md).
    expect(after).not.toContain('portcullis_session_store_duration_seconds_count{');
  });
});

const redisMissing = await redisProblem();

describeNeeding('Redis', redisMissing, 'session store metrics with Redis', () => {
  const keyPrefix = newKeyPrefix();
  afterAll(async () => {
    await deleteKeysUnder(REDIS_URL, keyPrefix);
  });

  it('times the Redis store\'s operations', async () => {
    const redis = await stack.gateway({ top: `sessions: { store: redis, redis: { url: "${REDIS_URL}", keyPrefix: "${keyPrefix}" } }` });
    // A Basic login creates the session a script is handed; its cookie then reads it back.
    const first = await redis.get('/private', { authorization: basic('bob', PASSWORDS.bob.cli) });
    expect(first.status).toBe(200);
    const cookie = String([first.headers['set-cookie']].flat()[0]).split(';')[0] as string;
    expect((await redis.get('/private', { cookie })).status).toBe(200);
    const text = await scrape(redis);
    expect(value(text, 'portcullis_session_store_duration_seconds_count{operation="create"}')).toBe(1);
    expect(value(text, 'portcullis_session_store_duration_seconds_count{operation="get"}')).toBeGreaterThanOrEqual(1);
  });
});
