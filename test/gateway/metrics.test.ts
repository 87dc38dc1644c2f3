import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startAuthStack, basic, PASSWORDS, type AuthStack } from '../support/auth-stack.js';

let stack: AuthStack;

beforeAll(async () => {
  stack = await startAuthStack({ app: 'skipPathRegex: ["^/public/"]' });
});
afterAll(async () => {
  await stack?.close();
});

async function scrape(): Promise<string> {
  const health = stack.gw.health;
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
    expect(after).toContain('portcullis_session_store_duration_seconds_count{operation="create"}');
    expect(after).toContain('portcullis_upstream_duration_seconds_count{app="app"}');
  });
});
