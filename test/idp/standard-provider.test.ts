/**
 * Portcullis against an OpenID Provider it was not written against (test/support/second-idp.ts,
 * issue 15): lean ID tokens with the identity in UserInfo, only `client_secret_basic`, ES256 ID
 * tokens, EdDSA-signed UserInfo, opaque access tokens checked by introspection. A real gateway,
 * a real echo upstream and a browser-like client over HTTP.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEchoUpstream, type EchoUpstream } from '../../src/demo/echo-upstream.js';
import { proxyConfig, startGateway, type RunningGateway } from '../support/gateway.js';
import { HttpBrowser, type Hop } from '../support/http-browser.js';
import { SECOND_CLIENT, SECOND_USERS, SIGNED_USERINFO_CLIENT, startSecondIdp, type SecondIdp } from '../support/second-idp.js';
import { freePort } from '../support/wait.js';

const CALLBACK = '/outpost.goauthentik.io/callback?X-authentik-auth-callback=true';
const dana = SECOND_USERS.dana;

const APPS = ['std', 'signed', 'never', 'post'] as const;
type App = (typeof APPS)[number];

interface Stack {
  readonly idp: SecondIdp;
  readonly echo: EchoUpstream;
  origin(app: App): string;
  /** A gateway for one application, on that application's port. */
  gateway(identity: string, app?: App): Promise<RunningGateway>;
  close(): Promise<void>;
}

/** One port per application, chosen up front so that every callback is registered at the IdP. */
async function startStack(): Promise<Stack> {
  const ports = new Map<App, number>();
  for (const app of APPS) ports.set(app, await freePort());
  const origin = (app: App) => `http://${app}.localhost:${ports.get(app) ?? 0}`;
  const idp = await startSecondIdp({ redirectUris: APPS.map((app) => `${origin(app)}${CALLBACK}`) });
  const echo = await startEchoUpstream();
  const running: RunningGateway[] = [];
  return {
    idp,
    echo,
    origin,
    async gateway(identity, app = 'std') {
      const gw = await startGateway(
        proxyConfig({
          port: ports.get(app) ?? 0,
          name: app,
          externalHost: origin(app),
          upstream: echo.url,
          issuer: idp.issuer,
          top: 'timeouts: { idp: "700ms" }',
          identity: `scopes: [openid, profile, email, groups]\nclaims: { username: preferred_username, groups: groups }\n${identity}`,
        }),
      );
      running.push(gw);
      return gw;
    },
    async close() {
      await Promise.allSettled(running.map((gw) => gw.close()));
      await echo.close();
      await idp.close();
    },
  };
}

const STD = `clientId: ${SECOND_CLIENT.id}\nclientSecret: ${SECOND_CLIENT.secret}`;
const SIGNED = `clientId: ${SIGNED_USERINFO_CLIENT.id}\nclientSecret: ${SIGNED_USERINFO_CLIENT.secret}`;

/** A browser login at `origin`, up to the gateway's answer to the callback and the page after it. */
async function login(origin: string): Promise<{ callback: Hop | undefined; final: Hop | undefined; hops: readonly Hop[] }> {
  const browser = new HttpBrowser();
  const walk = await browser.walk(`${origin}/whoami`, { credentials: { username: dana.username, password: dana.password } });
  const callback = walk.hops.find((hop) => hop.url.startsWith(`${origin}/outpost.goauthentik.io/callback`));
  return { callback, final: walk.final, hops: walk.hops };
}

function echoedHeaders(hop: Hop | undefined): Record<string, string | undefined> {
  if (hop?.status !== 200) throw new Error(`expected the upstream's 200, got ${hop?.status}: ${hop?.body.slice(0, 300)}`);
  return (JSON.parse(hop.body) as { headers: Record<string, string | undefined> }).headers;
}

describe('a standard OpenID provider (oidc-provider, independently configured)', () => {
  let stack: Stack;
  let std: RunningGateway;

  beforeAll(async () => {
    stack = await startStack();
    std = await stack.gateway(`${STD}\nbearer: { validation: introspection }`);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('logs a browser in and takes the identity from UserInfo, which the lean ID token lacks', async () => {
    const before = stack.idp.userinfoCalls();
    const { callback, final } = await login(stack.origin('std'));
    expect(callback?.status).toBe(302);
    const headers = echoedHeaders(final);
    expect(headers['x-authentik-uid']).toBe(dana.sub);
    expect(headers['x-authentik-username']).toBe('dana');
    expect(headers['x-authentik-email']).toBe(dana.email);
    expect(headers['x-authentik-name']).toBe(dana.name);
    expect(headers['x-authentik-groups']).toBe('std-staff|std-ops');
    expect(stack.idp.userinfoCalls()).toBe(before + 1);
  });

  it('authenticates with client_secret_basic, the only method the provider lists', async () => {
    await login(stack.origin('std'));
    const seen = stack.idp.clientAuthSeen();
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen)).toEqual(new Set(['client_secret_basic']));
    expect(std.gateway.idps.forApplication('std').clientAuthMethod).toBe('client_secret_basic');
  });

  it('fails the login (503: a configuration problem, no session) when told to use client_secret_post, which the provider refuses', async () => {
    const post = await stack.gateway(`${STD}\nclientAuth: client_secret_post`, 'post');
    try {
      const { callback } = await login(stack.origin('post'));
      expect(callback?.status).toBe(503);
      expect(callback?.setCookies.some((line) => line.startsWith('authentik_proxy_') && !line.includes('_login_') && !/max-age=0/i.test(line))).toBe(false);
      expect(stack.idp.clientAuthSeen().at(-1)).toBe('body');
    } finally {
      await post.close();
    }
  });

  it('refuses a login whose UserInfo names another subject (OIDC Core §5.3.4)', async () => {
    stack.idp.setUserinfoFault({ kind: 'rewrite', rewrite: (body) => JSON.stringify({ ...(JSON.parse(body) as object), sub: 'someone-else' }) });
    try {
      const { callback } = await login(stack.origin('std'));
      expect(callback?.status).toBe(400);
      expect(callback?.body).toContain('could not be completed');
    } finally {
      stack.idp.setUserinfoFault(null);
    }
  });

  it.each([
    ['a 500', { kind: 'answer', status: 500, contentType: 'application/json', body: '{"error":"server_error"}' }],
    ['an HTML page instead of JSON', { kind: 'answer', status: 200, contentType: 'text/html', body: '<html><body>Maintenance</body></html>' }],
    ['JSON that is not an object', { kind: 'answer', status: 200, contentType: 'application/json', body: '["dana"]' }],
    ['a stall past timeouts.idp', { kind: 'stall', ms: 3_000 }],
  ] as const)('answers 503 at the callback, never a half-filled identity, when UserInfo gives %s', async (_what, fault) => {
    stack.idp.setUserinfoFault(fault);
    try {
      const { callback } = await login(stack.origin('std'));
      expect(callback?.status).toBe(503);
      expect(callback?.headers.get('retry-after')).not.toBeNull();
    } finally {
      stack.idp.setUserinfoFault(null);
    }
  });

  it('checks opaque Bearer tokens by introspection', async () => {
    const { final } = await login(stack.origin('std'));
    const accessToken = echoedHeaders(final)['x-authentik-jwt'] ?? '';
    expect(accessToken.split('.').length).not.toBe(3); // opaque, not a JWT
    const browser = new HttpBrowser();
    const ok = await browser.request(`${stack.origin('std')}/api`, { accept: 'application/json', anonymous: true, headers: { authorization: `Bearer ${accessToken}` } });
    expect(echoedHeaders(ok)['x-authentik-uid']).toBe(dana.sub);
    const bad = await browser.request(`${stack.origin('std')}/api`, { accept: 'application/json', anonymous: true, headers: { authorization: 'Bearer not-a-token-this-idp-issued' } });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  describe('with identity.userinfo: never', () => {
    it('logs in on the ID token alone: the subject, no profile', async () => {
      const never = await stack.gateway(`${STD}\nuserinfo: never`, 'never');
      try {
        const before = stack.idp.userinfoCalls();
        const headers = echoedHeaders((await login(stack.origin('never'))).final);
        expect(headers['x-authentik-uid']).toBe(dana.sub);
        expect(headers['x-authentik-username']).toBe(dana.sub);
        expect(headers['x-authentik-email'] ?? '').toBe('');
        expect(stack.idp.userinfoCalls()).toBe(before);
      } finally {
        await never.close();
      }
    });
  });

  describe('with EdDSA-signed UserInfo (userinfo_signed_response_alg)', () => {
    let signed: RunningGateway;
    beforeAll(async () => {
      signed = await stack.gateway(SIGNED, 'signed');
    });
    afterAll(async () => {
      await signed?.close();
    });

    it('verifies the signature against the JWKS and takes the identity from it', async () => {
      let contentTypeWasJwt = false;
      stack.idp.setUserinfoFault({
        kind: 'rewrite',
        rewrite: (body) => {
          contentTypeWasJwt = body.split('.').length === 3;
          return body;
        },
      });
      try {
        const headers = echoedHeaders((await login(stack.origin('signed'))).final);
        expect(contentTypeWasJwt).toBe(true);
        expect(headers['x-authentik-username']).toBe('dana');
        expect(headers['x-authentik-groups']).toBe('std-staff|std-ops');
      } finally {
        stack.idp.setUserinfoFault(null);
      }
    });

    it('refuses a signed UserInfo whose signature does not verify (400)', async () => {
      stack.idp.setUserinfoFault({ kind: 'rewrite', rewrite: (jwt) => tamperSignature(jwt) });
      try {
        const { callback } = await login(stack.origin('signed'));
        expect(callback?.status).toBe(400);
      } finally {
        stack.idp.setUserinfoFault(null);
      }
    });

    it('refuses a signed UserInfo whose claims were changed under the signature (400)', async () => {
      stack.idp.setUserinfoFault({
        kind: 'rewrite',
        rewrite: (jwt) => {
          const [header, payload, signature] = jwt.split('.');
          const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
          const forged = Buffer.from(JSON.stringify({ ...claims, groups: ['admins'] })).toString('base64url');
          return `${header}.${forged}.${signature}`;
        },
      });
      try {
        const { callback } = await login(stack.origin('signed'));
        expect(callback?.status).toBe(400);
      } finally {
        stack.idp.setUserinfoFault(null);
      }
    });
  });
});

/** Flips bits in the middle of the signature (its last characters may only carry padding bits). */
function tamperSignature(jwt: string): string {
  const [header, payload, signature = ''] = jwt.split('.');
  const bytes = Buffer.from(signature, 'base64url');
  const middle = Math.floor(bytes.length / 2);
  bytes[middle] = (bytes[middle] ?? 0) ^ 0xff;
  return `${header}.${payload}.${bytes.toString('base64url')}`;
}
