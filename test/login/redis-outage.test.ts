/**
 * A Redis outage is an outage, never "no session" (DESIGN.md §2, §6): while Redis is down a
 * request with a session cookie gets 503 + Retry-After (not a redirect to login, which would
 * loop, and not a 500), a login cannot complete (503, and no session kept anywhere else), and
 * when Redis is back the gateway recovers by itself. Redis here is a `redis-server` of the
 * test's own, started with no persistence, killed and restarted on the same port.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setCookiesNamed, type Hop } from '../support/http-browser.js';
import { describeNeeding, executableProblem, REDIS_SERVER_PATH } from '../support/real-parts.js';
import { newKeyPrefix, RedisServerProcess } from '../support/redis.js';
import { apiRequest, COOKIE_NAME, echoed, RESERVED, startLoginStack, upstreamCount, type LoginStack } from '../support/login-stack.js';
import { freePort, pollUntil } from '../support/wait.js';

const serverMissing = await executableProblem(REDIS_SERVER_PATH);

function expectUnavailable(hop: Hop): void {
  expect(hop.status, hop.body).toBe(503);
  expect(hop.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
  expect(hop.location).toBeNull();
  expect(setCookiesNamed(hop, COOKIE_NAME).filter((c) => !c.expired)).toEqual([]);
}

describeNeeding('redis-server', serverMissing, 'a Redis outage', () => {
  let redis: RedisServerProcess;
  let stack: LoginStack;
  let origin: string;

  beforeAll(async () => {
    redis = await RedisServerProcess.start();
    stack = await startLoginStack({ sessions: { kind: 'redis', url: redis.url, keyPrefix: newKeyPrefix() } });
    origin = stack.origin();
  });
  afterAll(async () => {
    if (redis !== undefined && !redis.running) await redis.restart();
    await stack?.close();
    await redis?.stop();
  });

  it('answers 503 with Retry-After while Redis is down, and recovers without a restart when it is back', async () => {
    const browser = stack.browser();
    const { cookie } = await stack.login(browser, 'alice');
    expect(echoed(await apiRequest(browser, `${origin}/x`, cookie)).headers['x-authentik-username']).toBe('alice');

    await redis.stop();
    const before = upstreamCount(stack);
    const page = await browser.request(`${origin}/page`);
    expectUnavailable(page);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expectUnavailable(await apiRequest(browser, `${origin}/api`, cookie));
    expect(upstreamCount(stack)).toBe(before);
    // Without a cookie there is nothing to look up: the login redirect still works.
    const anonymous = await stack.browser().request(`${origin}/page`);
    expect(anonymous.status).toBe(302);

    await redis.restart();
    // The old session is gone (Redis kept nothing); the gateway answers again once reconnected.
    await pollUntil('the gateway reconnects to Redis', async () => (await apiRequest(browser, `${origin}/api`, cookie)).status !== 503);
    expect((await apiRequest(browser, `${origin}/api`, cookie)).status).toBe(401);
    const again = await stack.login(browser, 'alice');
    expect(again.cookie).not.toBe(cookie);
    expect(echoed(again.final).headers['x-authentik-username']).toBe('alice');
  });

  it('refuses to complete a login while Redis is down: 503 at the callback and no session anywhere', async () => {
    const browser = stack.browser();
    const login = await stack.authorize(browser, 'alice');
    await redis.stop();
    const callback = await browser.request(login.callbackUrl);
    expectUnavailable(callback);
    expect(browser.cookie(origin, COOKIE_NAME)).toBeUndefined();
    const page = await browser.request(`${origin}/page`);
    expect(page.status).toBe(302);
    expect(page.location?.startsWith(`${origin}${RESERVED}/start?rd=`)).toBe(true);

    await redis.restart();
    await pollUntil('a login completes again', async () => {
      const other = stack.browser();
      const retry = await stack.authorize(other, 'alice');
      const status = (await other.request(retry.callbackUrl)).status;
      if (status !== 302 && status !== 503) throw new Error(`the callback answered ${status}`);
      return status === 302;
    });
    const result = await stack.login(browser, 'alice');
    expect(echoed(result.final).headers['x-authentik-username']).toBe('alice');
  });
});

describe('a Redis that was never reachable', () => {
  let stack: LoginStack;

  beforeAll(async () => {
    // Nothing listens there: the gateway starts, but cannot keep a session.
    const port = await freePort();
    stack = await startLoginStack({ sessions: { kind: 'redis', url: `redis://127.0.0.1:${port}`, keyPrefix: newKeyPrefix(), keepKeys: true } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('answers 503 at the callback instead of keeping the session in memory', async () => {
    const browser = stack.browser();
    const login = await stack.authorize(browser, 'alice');
    const callback = await browser.request(login.callbackUrl);
    expectUnavailable(callback);
    expect(callback.body).toMatch(/temporarily unavailable/i);
    expect(browser.cookie(stack.origin(), COOKIE_NAME)).toBeUndefined();
    const page = await browser.request(`${stack.origin()}/page`);
    expect(page.status).toBe(302);
  });
});
