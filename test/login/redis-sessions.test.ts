/**
 * Browser sessions in Redis (DESIGN.md §6): the login flow works unchanged, and replicas
 * sharing one Redis share sessions, sign-out included. The replicas are two gateways in this
 * process with the same configuration (secret, key prefix) on different ports, each with its
 * own Redis connection and no state in common but Redis.
 */

import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningGateway } from '../support/gateway.js';
import { describeNeeding } from '../support/real-parts.js';
import { keysUnder, redisProblem } from '../support/redis.js';
import { apiRequest, COOKIE_NAME, echoed, RESERVED, startLoginStack, storeChoice, type LoginStack, type SessionStoreChoice } from '../support/login-stack.js';

const redisMissing = await redisProblem();

describeNeeding('Redis', redisMissing, 'browser sessions in Redis', () => {
  let stack: LoginStack;
  let sessions: Extract<SessionStoreChoice, { kind: 'redis' }>;
  let replica: RunningGateway;
  let first: string;
  let second: string;

  beforeAll(async () => {
    sessions = storeChoice('redis') as Extract<SessionStoreChoice, { kind: 'redis' }>;
    stack = await startLoginStack({ sessions });
    replica = await stack.replica();
    first = stack.origin();
    second = `http://${new URL(first).hostname}:${replica.port}`;
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('logs a browser in with the session kept in Redis, under the configured prefix', async () => {
    const before = await keysUnder(sessions.url, sessions.keyPrefix);
    const browser = stack.browser();
    const { final, cookie } = await stack.login(browser, 'alice', { path: '/home?tab=1' });
    expect(echoed(final).headers['x-authentik-username']).toBe('alice');
    const keys = await keysUnder(sessions.url, sessions.keyPrefix);
    expect(keys.length).toBeGreaterThan(before.length);
    // The key names a session; its value is sealed, so neither tokens nor the cookie appear in Redis in clear.
    const id = cookie.slice(0, cookie.indexOf('.'));
    expect(keys).toContain(`${sessions.keyPrefix}session:${id}`);
  });

  it('shares sessions between replicas: log in on one, use and sign out on the other', async () => {
    const browser = stack.browser();
    const { cookie } = await stack.login(browser, 'alice');
    // Same host name, another port: browsers send the cookie to both replicas.
    expect(echoed(await browser.request(`${second}/there`)).headers['x-authentik-username']).toBe('alice');
    expect(echoed(await apiRequest(browser, `${first}/here`, cookie)).headers['x-authentik-username']).toBe('alice');

    const out = await browser.request(`${second}${RESERVED}/sign_out`);
    expect(out.status).toBe(302);
    expect(out.location?.startsWith(`${stack.idp.issuer}/session/end?`)).toBe(true);
    expect(browser.cookie(first, COOKIE_NAME)).toBeUndefined();

    expect((await apiRequest(browser, `${first}/here`, cookie)).status).toBe(401);
    expect((await apiRequest(browser, `${second}/there`, cookie)).status).toBe(401);
    const page = await browser.request(`${first}/here`, { headers: { cookie: `${COOKIE_NAME}=${cookie}` } });
    expect(page.status).toBe(302);
    expect(page.location?.startsWith(`${first}${RESERVED}/start?rd=`)).toBe(true);
  });

  it('completes on one replica a login started on the other (the login state travels in the browser)', async () => {
    const browser = stack.browser();
    const login = await stack.authorize(browser, 'bob', { rd: '/report' });
    const callback = new URL(login.callbackUrl);
    const done = await browser.request(`${second}${callback.pathname}${callback.search}`);
    expect(done.status).toBe(302);
    expect(done.location).toBe(`${first}/report`);
    expect(echoed(await browser.request(`${first}/report`)).headers['x-authentik-username']).toBe('bob');
  });
});
