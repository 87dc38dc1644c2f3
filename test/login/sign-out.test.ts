/**
 * `/outpost.goauthentik.io/sign_out` (DESIGN.md §5): ends every session of the user for this
 * application, expires the cookie and sends the browser to the IdP's end_session_endpoint
 * with `id_token_hint`. Run against the memory store and Redis.
 */

import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { hiddenFields, formAction, isLoginForm, setCookiesNamed } from '../support/http-browser.js';
import { describeNeeding } from '../support/real-parts.js';
import { redisProblem } from '../support/redis.js';
import { apiRequest, CLIENT_ID, COOKIE_NAME, echoed, RESERVED, startLoginStack, storeChoice, type LoginStack } from '../support/login-stack.js';

const redisMissing = await redisProblem();

for (const store of ['memory', 'redis'] as const) {
  describeNeeding('Redis', store === 'redis' ? redisMissing : null, `sign-out (${store} sessions)`, () => {
    let stack: LoginStack;
    let app: string;
    let other: string;

    beforeAll(async () => {
      stack = await startLoginStack({ apps: [{ name: 'app' }, { name: 'other' }], sessions: storeChoice(store) });
      app = stack.origin('app');
      other = stack.origin('other');
    });
    afterAll(async () => {
      await stack?.close();
    });

    const username = async (origin: string, cookie: string) => {
      const hop = await apiRequest(stack.browser(), `${origin}/whoami`, cookie);
      return hop.status === 200 ? echoed(hop).headers['x-authentik-username'] : hop.status;
    };

    it("ends all of the user's sessions for this application, and only those", async () => {
      const first = stack.browser();
      const aliceHere = await stack.login(first, 'alice');
      const aliceElsewhere = await stack.login(stack.browser(), 'alice');
      const bobHere = await stack.login(stack.browser(), 'bob');
      const aliceOnOther = await stack.login(stack.browser(), 'alice', { app: 'other' });
      expect(await username(app, aliceElsewhere.cookie)).toBe('alice');

      const out = await first.request(`${app}${RESERVED}/sign_out`);
      expect(out.status).toBe(302);

      expect(await username(app, aliceHere.cookie)).toBe(401);
      expect(await username(app, aliceElsewhere.cookie)).toBe(401);
      expect(await username(app, bobHere.cookie)).toBe('bob');
      expect(await username(other, aliceOnOther.cookie)).toBe('alice');
    });

    it("expires the cookie and sends the browser to the IdP's end-session endpoint with the session's ID token", async () => {
      const browser = stack.browser();
      await stack.login(browser, 'alice');
      const out = await browser.request(`${app}${RESERVED}/sign_out`);
      expect(out.status).toBe(302);
      expect(out.headers.get('cache-control')).toBe('no-store');
      const [expired] = setCookiesNamed(out, COOKIE_NAME);
      expect(expired?.value).toBe('');
      expect(expired?.expired).toBe(true);
      expect(expired?.attributes.get('path')).toBe('/');
      expect(browser.cookie(app, COOKIE_NAME)).toBeUndefined();

      const target = new URL(out.location ?? '');
      expect(`${target.origin}${target.pathname}`).toBe(`${stack.idp.issuer}/session/end`);
      const hint = target.searchParams.get('id_token_hint') ?? '';
      const { payload } = await jwtVerify(hint, createRemoteJWKSet(new URL(`${stack.idp.url}/jwks`)), {
        issuer: stack.idp.issuer,
        audience: CLIENT_ID,
      });
      expect(payload.sub).toBe(stack.idp.userClaims('alice')['sub']);

      // The IdP's confirmation submits itself; once done, the IdP session is over too.
      const confirm = await browser.request(out.location ?? '');
      expect(confirm.status).toBe(200);
      const done = await browser.request(formAction(confirm.body, confirm.url), { form: hiddenFields(confirm.body) });
      expect(done.status).toBeLessThan(400);
      const again = await browser.walk(`${app}/`);
      expect(again.final?.url.startsWith(stack.idp.issuer)).toBe(true);
      expect(isLoginForm(again.final?.body ?? '')).toBe(true);
    });

    it('accepts POST as well', async () => {
      const browser = stack.browser();
      const { cookie } = await stack.login(browser, 'alice');
      const out = await browser.request(`${app}${RESERVED}/sign_out`, { method: 'POST' });
      expect(out.status).toBe(302);
      expect(await username(app, cookie)).toBe(401);
    });

    it('without a session still expires the cookie and goes to the IdP, without a hint', async () => {
      const out = await stack.browser().request(`${app}${RESERVED}/sign_out`, { headers: { cookie: `${COOKIE_NAME}=${'A'.repeat(43)}.${'B'.repeat(43)}` } });
      expect(out.status).toBe(302);
      expect(setCookiesNamed(out, COOKIE_NAME)[0]?.expired).toBe(true);
      const target = new URL(out.location ?? '');
      expect(`${target.origin}${target.pathname}`).toBe(`${stack.idp.issuer}/session/end`);
      expect(target.searchParams.has('id_token_hint')).toBe(false);
    });
  });
}
