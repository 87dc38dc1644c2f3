import * as client from 'openid-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import type { DevIdp } from '../../src/devidp/index.js';
import { appPasswordGrant, browserLogin, discover, startTestIdp } from './support.js';

describe('call counters and fault injection', () => {
  let idp: DevIdp;
  let config: client.Configuration;

  beforeAll(async () => {
    idp = await startTestIdp();
    config = await discover(idp);
  });
  afterAll(() => idp.close());
  beforeEach(() => {
    idp.clearFaults();
    idp.resetCalls();
  });

  it('counts requests per endpoint and in total', async () => {
    await discover(idp);
    await fetch(`${idp.url}/jwks`);
    await appPasswordGrant(config, 'alice', 'alice-app-password');
    expect(idp.calls('discovery')).toBe(1);
    expect(idp.calls('jwks')).toBe(1);
    expect(idp.calls('token')).toBe(1);
    expect(idp.calls('introspection')).toBe(0);
    expect(idp.calls()).toBe(3);
    idp.resetCalls();
    expect(idp.calls()).toBe(0);
    expect(idp.calls('token')).toBe(0);
  });

  it('counts each hop of a browser login', async () => {
    await browserLogin(config, { username: 'alice', password: 'alice-password' });
    expect(idp.calls('authorization')).toBe(2); // the request and the resume after login
    expect(idp.calls('interaction')).toBe(2); // the form and its submission
    expect(idp.calls('token')).toBe(0);
  });

  it('counts requests outside any endpoint in the total only', async () => {
    await fetch(`${idp.url}/nothing-here`);
    expect(idp.calls()).toBe(1);
  });

  it('answers a failed endpoint with the injected status until faults are cleared', async () => {
    idp.failEndpoint('token', 503);
    const response = await fetch(`${idp.url}/token`, { method: 'POST' });
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ error: 'temporarily_unavailable' });
    const failure = await appPasswordGrant(config, 'alice', 'alice-app-password').catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(Error);
    expect(((failure as Error).cause as Response).status).toBe(503);
    expect(idp.calls('token')).toBe(2);

    idp.clearFaults();
    await expect(appPasswordGrant(config, 'alice', 'alice-app-password')).resolves.toHaveProperty('access_token');
  });

  it('fails only the chosen endpoint', async () => {
    idp.failEndpoint('jwks', 500);
    expect((await fetch(`${idp.url}/jwks`)).status).toBe(500);
    expect((await fetch(`${idp.url}/.well-known/openid-configuration`)).status).toBe(200);
  });

  it('delays answers of a stalled endpoint', async () => {
    idp.stallEndpoint('discovery', 300);
    const started = performance.now();
    const response = await fetch(`${idp.url}/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('lets a client time out on a stalled endpoint', async () => {
    idp.stallEndpoint('introspection', 5_000);
    await expect(fetch(`${idp.url}/token/introspection`, { method: 'POST', signal: AbortSignal.timeout(100) })).rejects.toMatchObject({
      name: 'TimeoutError',
    });
  });

  it('refuses statuses that are not errors', () => {
    expect(() => idp.failEndpoint('token', 200)).toThrow(RangeError);
    expect(() => idp.stallEndpoint('token', -1)).toThrow(RangeError);
  });

  it('closes promptly while a request is stalled', async () => {
    const own = await startTestIdp();
    own.stallEndpoint('jwks', 60_000);
    const pending = fetch(`${own.url}/jwks`).catch((err: unknown) => err);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = performance.now();
    await own.close();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await pending).toBeInstanceOf(Error);
  });
});
