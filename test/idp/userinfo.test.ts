/**
 * UserInfo (issue 15, OpenID Connect Core §5.3): with the development IdP keeping its ID tokens
 * lean (`leanIdTokens`, oidc-provider's `conformIdTokenClaims`), the identity after a login and
 * after a refresh comes from UserInfo; `identity.userinfo` forces it on or off; an IdP that
 * fails there is a 503, never a half-filled identity.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpBrowser } from '../support/http-browser.js';
import { loginAlice, PORTCULLIS, sessionCookieName, startDevStack, upstreamHeaders, type DevStack } from './dev-stack.js';

const APPS = ['lean', 'always', 'never', 'full', 'signed', 'refresh', 'down'];
const PORTCULLIS_IDENTITY = `clientId: ${PORTCULLIS.id}\nclientSecret: ${PORTCULLIS.secret}`;

const ALICE = {
  'x-authentik-username': 'alice',
  'x-authentik-email': 'alice@example.com',
  'x-authentik-name': 'Alice Example',
  'x-authentik-groups': 'staff|admins',
  'x-authentik-entitlements': 'grafana-editor',
};

/** Runs `test` with a gateway for `app`, closed afterwards whatever happens (the next test reuses its port). */
async function withGateway(stack: DevStack, app: string, identity: string, test: () => Promise<void>, top = ''): Promise<void> {
  const gw = await stack.gateway(app, identity, top);
  try {
    await test();
  } finally {
    await gw.close();
  }
}

/** A request carrying only the session cookie, as an API client would send it. */
function withSession(origin: string, cookie: string) {
  return new HttpBrowser().request(`${origin}/again`, { accept: 'application/json', anonymous: true, headers: { cookie: `${sessionCookieName(PORTCULLIS.id)}=${cookie}` } });
}

describe('UserInfo with lean ID tokens (the development IdP)', () => {
  let stack: DevStack;
  beforeAll(async () => {
    stack = await startDevStack({
      apps: APPS,
      idp: { leanIdTokens: true },
      clients: [{ id: 'signed-userinfo', secret: 'signed-userinfo-secret', userinfoSignedResponseAlg: 'RS256' }],
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('fills the identity from UserInfo after the code exchange', async () => {
    await withGateway(stack, 'lean', PORTCULLIS_IDENTITY, async () => {
      stack.idp.resetCalls();
      const { final } = await loginAlice(stack.origin('lean'));
      expect(upstreamHeaders(final)).toMatchObject(ALICE);
      expect(stack.idp.calls('userinfo')).toBe(1);
    });
  });

  it('with identity.userinfo: never, keeps to the lean ID token (the subject only)', async () => {
    await withGateway(stack, 'never', `${PORTCULLIS_IDENTITY}\nuserinfo: never`, async () => {
      stack.idp.resetCalls();
      const headers = upstreamHeaders((await loginAlice(stack.origin('never'))).final);
      expect(headers['x-authentik-uid']).toBe(stack.idp.userClaims('alice')['sub']);
      expect(headers['x-authentik-username']).toBe(headers['x-authentik-uid']);
      expect(headers['x-authentik-groups'] ?? '').toBe('');
      expect(stack.idp.calls('userinfo')).toBe(0);
    });
  });

  it('verifies a signed UserInfo answer (application/jwt) against the IdP keys', async () => {
    await withGateway(stack, 'signed', 'clientId: signed-userinfo\nclientSecret: signed-userinfo-secret', async () => {
      const { final } = await loginAlice(stack.origin('signed'));
      expect(upstreamHeaders(final)).toMatchObject(ALICE);
    });
  });

  it.each([
    ['answers 503', (stack: DevStack) => stack.idp.failEndpoint('userinfo', 503)],
    ['stalls past timeouts.idp', (stack: DevStack) => stack.idp.stallEndpoint('userinfo', 3_000)],
  ])('answers 503 at the callback and creates no session when UserInfo %s', async (_what, fault) => {
    await withGateway(
      stack,
      'down',
      PORTCULLIS_IDENTITY,
      async () => {
        fault(stack);
        try {
          const { browser, callback } = await loginAlice(stack.origin('down'));
          expect(callback?.status).toBe(503);
          expect(callback?.headers.get('retry-after')).not.toBeNull();
          expect(browser.cookie(stack.origin('down'), sessionCookieName(PORTCULLIS.id))).toBeUndefined();
        } finally {
          stack.idp.clearFaults();
        }
      },
      'timeouts: { idp: "600ms" }',
    );
  });
});

describe('UserInfo with lean ID tokens, on refresh (the development IdP)', () => {
  let stack: DevStack;
  beforeAll(async () => {
    // 20-second tokens are always inside the gateway's 30-second refresh margin: every request refreshes.
    stack = await startDevStack({ apps: APPS, idp: { leanIdTokens: true, ttl: { accessToken: 20 } } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('asks UserInfo again on refresh, with the new access token, and keeps the identity whole', async () => {
    await withGateway(stack, 'refresh', PORTCULLIS_IDENTITY, async () => {
      const { browser } = await loginAlice(stack.origin('refresh'));
      const cookie = browser.cookie(stack.origin('refresh'), sessionCookieName(PORTCULLIS.id)) ?? '';
      stack.idp.resetCalls();
      const again = await withSession(stack.origin('refresh'), cookie);
      expect(upstreamHeaders(again)).toMatchObject(ALICE);
      expect(stack.idp.calls('token')).toBe(1);
      expect(stack.idp.calls('userinfo')).toBe(1);
    });
  });

  it('keeps the whole identity and the new tokens when UserInfo fails after a refresh', async () => {
    await withGateway(stack, 'refresh', PORTCULLIS_IDENTITY, async () => {
      const { browser } = await loginAlice(stack.origin('refresh'));
      const cookie = browser.cookie(stack.origin('refresh'), sessionCookieName(PORTCULLIS.id)) ?? '';
      stack.idp.failEndpoint('userinfo', 503);
      let during: Record<string, string | undefined>;
      try {
        during = upstreamHeaders(await withSession(stack.origin('refresh'), cookie));
      } finally {
        stack.idp.clearFaults();
      }
      expect(during).toMatchObject(ALICE);
      // The refresh token was rotated by that refresh: had the session kept the old one, this
      // refresh would reuse it and the IdP would end the grant (and the session with it).
      const after = upstreamHeaders(await withSession(stack.origin('refresh'), cookie));
      expect(after).toMatchObject(ALICE);
      expect(after['x-authentik-jwt']).not.toBe(during['x-authentik-jwt']);
    });
  });

});

describe('UserInfo with full ID tokens (the development IdP, authentik style)', () => {
  let stack: DevStack;
  beforeAll(async () => {
    stack = await startDevStack({ apps: APPS });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('is not asked when the ID token already carries every configured claim', async () => {
    await withGateway(stack, 'full', PORTCULLIS_IDENTITY, async () => {
      stack.idp.resetCalls();
      expect(upstreamHeaders((await loginAlice(stack.origin('full'))).final)).toMatchObject(ALICE);
      expect(stack.idp.calls('userinfo')).toBe(0);
    });
  });

  it('is asked anyway with identity.userinfo: always', async () => {
    await withGateway(stack, 'always', `${PORTCULLIS_IDENTITY}\nuserinfo: always`, async () => {
      stack.idp.resetCalls();
      expect(upstreamHeaders((await loginAlice(stack.origin('always'))).final)).toMatchObject(ALICE);
      expect(stack.idp.calls('userinfo')).toBe(1);
    });
  });
});
