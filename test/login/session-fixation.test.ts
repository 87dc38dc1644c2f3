/**
 * Login never reuses a session id the browser brought along (DESIGN.md §6): a browser that
 * already holds a session cookie, or one an attacker planted, leaves the callback with a new
 * session id, and the old one is dead. Run against the memory store and Redis.
 */

import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeNeeding } from '../support/real-parts.js';
import { redisProblem } from '../support/redis.js';
import { apiRequest, COOKIE_NAME, echoed, RESERVED, startLoginStack, storeChoice, type LoginStack } from '../support/login-stack.js';

const redisMissing = await redisProblem();

for (const store of ['memory', 'redis'] as const) {
  describeNeeding('Redis', store === 'redis' ? redisMissing : null, `session fixation (${store} sessions)`, () => {
    let stack: LoginStack;
    let origin: string;

    beforeAll(async () => {
      stack = await startLoginStack({ sessions: storeChoice(store) });
      origin = stack.origin();
    });
    afterAll(async () => {
      await stack?.close();
    });

    const idOf = (cookie: string) => cookie.slice(0, cookie.indexOf('.'));

    it('gives a browser that logs in again a new session id and ends the old one', async () => {
      const browser = stack.browser();
      const first = await stack.login(browser, 'alice');
      // Already signed in, the browser has to ask for the login itself.
      const again = await stack.login(browser, 'alice', { path: `${RESERVED}/start?rd=%2Fagain` });
      expect(idOf(again.cookie)).not.toBe(idOf(first.cookie));
      expect((await apiRequest(browser, `${origin}/x`, first.cookie)).status).toBe(401);
      expect(echoed(await apiRequest(browser, `${origin}/x`, again.cookie)).headers['x-authentik-username']).toBe('alice');
    });

    it("replaces a session an attacker planted (their own valid one) and ends the attacker's session", async () => {
      const planted = (await stack.login(stack.browser(), 'bob')).cookie;
      const victim = stack.browser();
      victim.setCookie(origin, COOKIE_NAME, planted);
      // With the planted cookie the victim is bob until logging in: exactly the fixation risk.
      expect(echoed(await victim.request(`${origin}/`)).headers['x-authentik-username']).toBe('bob');
      const result = await stack.login(victim, 'alice', { path: `${RESERVED}/start?rd=%2Fmine` });
      expect(echoed(result.final).headers['x-authentik-username']).toBe('alice');
      const fresh = result.cookie;
      expect(idOf(fresh)).not.toBe(idOf(planted));
      expect((await apiRequest(victim, `${origin}/x`, planted)).status).toBe(401);
      expect(echoed(await apiRequest(victim, `${origin}/x`, fresh)).headers['x-authentik-username']).toBe('alice');
    });

    it('replaces a forged cookie with a session of its own', async () => {
      const browser = stack.browser();
      const forged = `${'A'.repeat(43)}.${'B'.repeat(43)}`;
      browser.setCookie(origin, COOKIE_NAME, forged);
      const result = await stack.login(browser, 'alice');
      expect(result.cookie).not.toBe(forged);
      expect(idOf(result.cookie)).not.toBe('A'.repeat(43));
      expect(echoed(result.final).headers['x-authentik-username']).toBe('alice');
    });
  });
}
