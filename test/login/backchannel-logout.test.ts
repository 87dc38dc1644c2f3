/**
 * OpenID Connect Back-Channel Logout 1.0 at `/outpost.goauthentik.io/backchannel_logout`:
 * a valid logout token ends the user's sessions; anything else is a 400 and ends nothing.
 * Tokens are crafted with the dev IdP's own signing key, and the dev IdP also sends real ones
 * when its session ends. Run against the memory store and Redis.
 */

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import type { SignJwtOptions } from '../../src/devidp/index.js';
import { formAction, hiddenFields, type Hop } from '../support/http-browser.js';
import { describeNeeding } from '../support/real-parts.js';
import { redisProblem } from '../support/redis.js';
import { apiRequest, CLIENT_ID, echoed, RESERVED, startLoginStack, storeChoice, type LoginStack } from '../support/login-stack.js';
import { pollUntil } from '../support/wait.js';

const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
const redisMissing = await redisProblem();

for (const store of ['memory', 'redis'] as const) {
  describeNeeding('Redis', store === 'redis' ? redisMissing : null, `back-channel logout (${store} sessions)`, () => {
    let stack: LoginStack;
    let app: string;
    let aliceSub: string;
    let alice: string[] | undefined;
    let bob: string | undefined;

    beforeAll(async () => {
      // The IdP posts to the application, so it must be reachable by a name Node resolves.
      stack = await startLoginStack({ apps: [{ name: 'app', externalHost: 'http://127.0.0.1:{port}' }], backchannelApp: 'app', sessions: storeChoice(store) });
      app = stack.origin();
      aliceSub = String(stack.idp.userClaims('alice')['sub']);
    });
    afterAll(async () => {
      await stack?.close();
    });
    const status = async (cookie: string) => (await apiRequest(stack.browser(), `${app}/whoami`, cookie)).status;

    // Fresh sessions only when a test ended the previous ones: logins are the slow part.
    beforeEach(async () => {
      const alive = alice !== undefined && (await Promise.all(alice.map(status))).every((s) => s === 200);
      if (!alive) alice = [(await stack.login(stack.browser(), 'alice')).cookie, (await stack.login(stack.browser(), 'alice')).cookie];
      if (bob === undefined || (await status(bob)) !== 200) bob = (await stack.login(stack.browser(), 'bob')).cookie;
    });

    async function logoutToken(claims: Record<string, unknown> = {}, options: SignJwtOptions = {}): Promise<string> {
      const payload: Record<string, unknown> = {
        iss: stack.idp.issuer,
        aud: CLIENT_ID,
        iat: Math.floor(Date.now() / 1000),
        exp: Math.floor(Date.now() / 1000) + 120,
        jti: randomUUID(),
        events: { [BACKCHANNEL_EVENT]: {} },
        sub: aliceSub,
        ...claims,
      };
      for (const [key, value] of Object.entries(payload)) if (value === undefined) delete payload[key];
      return stack.idp.signJwt(payload, { typ: 'logout+jwt', ...options });
    }

    function post(fields: Record<string, string>): Promise<Hop> {
      return stack.browser().request(`${app}${RESERVED}/backchannel_logout`, { method: 'POST', form: fields, accept: 'application/json', anonymous: true });
    }

    it("ends every session of the token's subject, and no one else's", async () => {
      const answer = await post({ logout_token: await logoutToken() });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('cache-control')).toBe('no-store');
      expect(await status(alice?.[0] ?? '')).toBe(401);
      expect(await status(alice?.[1] ?? '')).toBe(401);
      expect(echoed(await apiRequest(stack.browser(), `${app}/whoami`, bob ?? '')).headers['x-authentik-username']).toBe('bob');
    });

    it('refuses a replayed logout token (same jti), and says so in JSON, no-store', async () => {
      const token = await logoutToken({ sub: 'nobody-in-particular' });
      expect((await post({ logout_token: token })).status).toBe(200);
      const replay = await post({ logout_token: token });
      expect(replay.status).toBe(400);
      expect(replay.headers.get('cache-control')).toBe('no-store');
      expect(JSON.parse(replay.body)).toMatchObject({ error: 'invalid_request' });
    });

    it('ends only the session of the IdP session a sid-only token names', async () => {
      const sids = stack.idp.sessionIdsOf('alice');
      const browser = stack.browser();
      const { cookie } = await stack.login(browser, 'alice');
      const sid = stack.idp.sessionIdsOf('alice').find((value) => !sids.includes(value));
      expect(sid).toBeDefined();
      const answer = await post({ logout_token: await logoutToken({ sub: undefined, sid }) });
      expect(answer.status).toBe(200);
      expect(await status(cookie)).toBe(401);
      expect(await status(alice?.[0] ?? '')).toBe(200);
    });

    it('ends nothing when sid and sub name different users', async () => {
      const sids = stack.idp.sessionIdsOf('bob');
      const browser = stack.browser();
      const { cookie } = await stack.login(browser, 'bob');
      const bobSid = stack.idp.sessionIdsOf('bob').find((value) => !sids.includes(value));
      const answer = await post({ logout_token: await logoutToken({ sub: aliceSub, sid: bobSid }) });
      expect(answer.status).toBe(200);
      expect(await status(cookie)).toBe(200);
      expect(await status(alice?.[0] ?? '')).toBe(200);
    });

    it.each([
      ['without events', { events: undefined }, {}],
      ['with another event only', { events: { 'http://schemas.openid.net/event/other': {} } }, {}],
      ['with events that are not an object', { events: BACKCHANNEL_EVENT }, {}],
      ['with a nonce (an ID token)', { nonce: 'n-0S6_WzA2Mj' }, {}],
      ['for another client', { aud: 'other-app' }, {}],
      ['from another issuer', { iss: 'http://127.0.0.1:9/evil' }, {}],
      ['signed with a key the IdP never published', {}, { foreignKey: true }],
      ['without jti', { jti: undefined }, {}],
      ['without iat', { iat: undefined }, {}],
      ['issued an hour ago', { iat: Math.floor(Date.now() / 1000) - 3600 }, {}],
      ['expired', { exp: Math.floor(Date.now() / 1000) - 120 }, {}],
      ['naming neither sub nor sid', { sub: undefined }, {}],
      ['without exp (§2.4 requires it)', { exp: undefined }, {}],
    ] as [string, Record<string, unknown>, SignJwtOptions][])('refuses a logout token %s and ends nothing', async (_name, claims, options) => {
      const answer = await post({ logout_token: await logoutToken(claims, options) });
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body)).toMatchObject({ error: 'invalid_request' });
      expect(await status(alice?.[0] ?? '')).toBe(200);
      expect(await status(alice?.[1] ?? '')).toBe(200);
    });

    it.each([
      ['no logout_token', {}],
      ['an empty logout_token', { logout_token: '' }],
      ['a logout_token that is not a JWT', { logout_token: 'not-a-jwt' }],
    ])('refuses a request with %s', async (_name, fields) => {
      expect((await post(fields)).status).toBe(400);
      expect(await status(alice?.[0] ?? '')).toBe(200);
    });

    it("ends the gateway's sessions when the IdP session ends and the IdP sends the logout token itself", async () => {
      const browser = stack.browser();
      const { cookie } = await stack.login(browser, 'alice');
      const logged = stack.gw.logs().length;
      // Signed out at the IdP directly (another application's sign-out, or the IdP's own page).
      const confirm = await browser.request(`${stack.idp.issuer}/session/end`);
      expect(confirm.status).toBe(200);
      const done = await browser.request(formAction(confirm.body, confirm.url), { form: hiddenFields(confirm.body) });
      expect(done.status).toBeLessThan(400);
      await pollUntil('the IdP back-channel logout ends the session', async () => (await status(cookie)) === 401, { timeoutMs: 5_000 });
      // The IdP's token names the IdP session (sid): alice's sessions from other IdP sessions stay (§2.7).
      expect(await status(alice?.[0] ?? '')).toBe(200);
      expect(echoed(await apiRequest(stack.browser(), `${app}/whoami`, bob ?? '')).headers['x-authentik-username']).toBe('bob');
      expect(stack.gw.logs().slice(logged).some((line) => line['msg'] === 'back-channel logout')).toBe(true);
    });
  });
}
