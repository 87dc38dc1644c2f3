/**
 * Signing-key rotation with the gateway as a user runs it (its own process, default caches),
 * the dev IdP over HTTP rotating its keys. A valid user is never refused because the key set
 * is being refreshed, and an IdP that cannot be asked is a 503, never a verdict on the token
 * (issue 19).
 */

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startEchoUpstream, type EchoUpstream } from '../../src/demo/echo-upstream.js';
import { loadUsersFile, startDevIdp, type DevIdp } from '../../src/devidp/index.js';
import { accessTokenFor, basic, bearer, CLIENTS, PASSWORDS, receivedWithTag, sleep, TAG_HEADER, USERS_FILE, lines } from '../support/auth-stack.js';
import { spawnGateway, untilReady, type GatewayProcess } from '../support/gateway-process.js';
import { HttpBrowser } from '../support/http-browser.js';
import { freePort } from '../support/wait.js';

const CALLBACK = '/outpost.goauthentik.io/callback?X-authentik-auth-callback=true';

let idp: DevIdp;
let echo: EchoUpstream;
let port: number;
let gateway: GatewayProcess | undefined;

beforeAll(async () => {
  port = await freePort();
  const users = await loadUsersFile(USERS_FILE);
  // Both applications' callbacks are registered, so a browser can sign in to either.
  const clients = users.clients.map((client) => ({
    ...client,
    redirectUris: [...client.redirectUris, `http://app.localhost:${port}${CALLBACK}`, `http://own.localhost:${port}${CALLBACK}`],
  }));
  idp = await startDevIdp({ users: { ...users, clients } });
  echo = await startEchoUpstream();
});
afterAll(async () => {
  await echo?.close();
  await idp?.close();
});
beforeEach(() => {
  idp.clearFaults();
});
afterEach(async () => {
  await gateway?.stop();
  gateway = undefined;
});

/** Two applications at one issuer: `app` on the default client, `own` with its own client. */
async function start(cache = '', top = ''): Promise<GatewayProcess> {
  gateway = await spawnGateway({
    config: `
listen: "127.0.0.1:${port}"
metricsListen: "127.0.0.1:0"
secret: "\${PORTCULLIS_SECRET}"
${cache === '' ? '' : `cache: { ${cache} }`}
${top}
identity: { issuer: "${idp.issuer}", clientId: ${CLIENTS.portcullis.id}, clientSecret: ${CLIENTS.portcullis.secret} }
applications:
  - name: app
    externalHost: "http://app.localhost:${port}"
    internalHost: "${echo.url}"
  - name: own
    externalHost: "http://own.localhost:${port}"
    internalHost: "${echo.url}"
    identity: { clientId: ${CLIENTS.other.id}, clientSecret: ${CLIENTS.other.secret} }
`,
  });
  await untilReady(gateway.health);
  return gateway;
}

const CLIENT_OF = { app: CLIENTS.portcullis, own: CLIENTS.other } as const;
type AppName = keyof typeof CLIENT_OF;

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly reachedUpstream: boolean;
}

async function send(app: AppName, authorization: string): Promise<Answer> {
  const tag = crypto.randomUUID();
  const res = await request(`http://127.0.0.1:${port}/`, {
    headers: { host: `${app}.localhost:${port}`, authorization, [TAG_HEADER]: tag, 'x-authentik-no-redirect': '1' },
  });
  await res.body.dump();
  return { status: res.statusCode, headers: res.headers, reachedUpstream: receivedWithTag(echo, tag) !== undefined };
}

function tokenFor(app: AppName, username: keyof typeof PASSWORDS): Promise<string> {
  return accessTokenFor(idp, username, CLIENT_OF[app]);
}

/** Asserts a 503 that blames the IdP: Retry-After, no invalid_token, nothing forwarded. */
function expectUnavailable(answer: Answer): void {
  expect(answer.status).toBe(503);
  expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0);
  expect(lines(answer.headers, 'www-authenticate').join(' ')).not.toContain('invalid_token');
  expect(answer.reachedUpstream).toBe(false);
}

describe.each(['app', 'own'] as const)('a rotation seen through %s', (app) => {
  it('accepts new-key tokens at once after the old key is retired, and refuses old-key tokens it never saw', async () => {
    await start();
    expect((await send(app, bearer(await tokenFor(app, 'alice')))).status).toBe(200);
    const unseenOld = await tokenFor(app, 'bob');
    await idp.rotateKeys();
    // No pause: the key set was fetched moments ago, which must not hold back a new key.
    const fresh = await send(app, bearer(await tokenFor(app, 'alice')));
    expect(fresh.status).toBe(200);
    expect(fresh.reachedUpstream).toBe(true);
    // The freshly fetched set lacks the retired key: a verdict on the token, and nothing forwarded.
    const old = await send(app, bearer(unseenOld));
    expect(old.status).toBe(401);
    expect(lines(old.headers, 'www-authenticate')).toContain(`Bearer realm="${app}", error="invalid_token"`);
    expect(old.reachedUpstream).toBe(false);
  });

  it('accepts new-key tokens and unseen old-key tokens while the IdP still publishes the old key', async () => {
    await start();
    expect((await send(app, bearer(await tokenFor(app, 'alice')))).status).toBe(200);
    const unseenOld = await tokenFor(app, 'bob');
    await idp.rotateKeys({ keepPrevious: true });
    expect((await send(app, bearer(await tokenFor(app, 'alice')))).status).toBe(200);
    expect((await send(app, bearer(unseenOld))).status).toBe(200);
  });
});

describe('a rotation that lands on a stale key set', () => {
  it('accepts the first new-key token although a background refresh is already under way', async () => {
    await start('jwksMaxAge: "300ms"');
    expect((await send('app', bearer(await tokenFor('app', 'alice')))).status).toBe(200);
    await sleep(400);
    await idp.rotateKeys();
    const token = await tokenFor('app', 'bob');
    idp.resetCalls();
    const answer = await send('app', bearer(token));
    expect(answer.status).toBe(200);
    expect(idp.calls('jwks')).toBeLessThanOrEqual(2);
  });
});

describe('a burst of new-key tokens', () => {
  it('answers 50 concurrent requests with 200, fetching the key set at most twice', async () => {
    await start();
    expect((await send('app', bearer(await tokenFor('app', 'alice')))).status).toBe(200);
    await idp.rotateKeys();
    const tokens = await Promise.all(Array.from({ length: 50 }, (_, i) => tokenFor('app', i % 2 === 0 ? 'alice' : 'bob')));
    idp.resetCalls();
    const answers = await Promise.all(tokens.map((token) => send('app', bearer(token))));
    expect(answers.map((answer) => answer.status)).toEqual(Array.from({ length: 50 }, () => 200));
    expect(idp.calls('jwks')).toBeLessThanOrEqual(2);
  });
});

describe('the IdP unreachable when a new-key token arrives', () => {
  it.each([
    ['answers 503', () => idp.failEndpoint('jwks', 503)],
    ['does not answer in time', () => idp.stallEndpoint('jwks', 3_000)],
  ])('its key set endpoint %s: 503 + Retry-After on every try, the same token accepted once it is back', { timeout: 30_000 }, async (_what, fault) => {
    await start('', 'timeouts: { idp: "1s" }');
    expect((await send('app', bearer(await tokenFor('app', 'alice')))).status).toBe(200);
    await idp.rotateKeys();
    const token = await tokenFor('app', 'bob');
    fault();
    expectUnavailable(await send('app', bearer(token)));
    expectUnavailable(await send('app', bearer(token)));
    await sleep(300);
    expectUnavailable(await send('app', bearer(token)));
    idp.clearFaults();
    // Nothing was remembered as refused: the same token passes at once.
    const back = await send('app', bearer(token));
    expect(back.status).toBe(200);
    expect(back.reachedUpstream).toBe(true);
    const logged = gateway?.logs().filter((line) => line.msg === 'JWKS fetch failed; keeping the last good keys') ?? [];
    expect(logged.length).toBeGreaterThan(0);
  });
});

describe('every way of signing in survives a rotation', () => {
  it('Basic app password: a password first checked after the rotation passes', async () => {
    await start();
    expect((await send('app', basic('alice', PASSWORDS.alice.cli))).status).toBe(200);
    await idp.rotateKeys();
    const answer = await send('app', basic('bob', PASSWORDS.bob.cli));
    expect(answer.status).toBe(200);
    expect(answer.reachedUpstream).toBe(true);
  });

  it('goauthentik.io/token: a new-key token passed as the Basic password passes', async () => {
    await start();
    expect((await send('app', bearer(await tokenFor('app', 'alice')))).status).toBe(200);
    await idp.rotateKeys();
    expect((await send('app', basic('goauthentik.io/token', await tokenFor('app', 'bob')))).status).toBe(200);
  });

  it('browser login: the ID token signed with the new key is verified against the refreshed key set', async () => {
    await start();
    expect((await send('app', bearer(await tokenFor('app', 'alice')))).status).toBe(200);
    await idp.rotateKeys();
    const browser = new HttpBrowser();
    const walk = await browser.walk(`http://app.localhost:${port}/after-rotation`, { credentials: { username: 'bob', password: 'bob-password' } });
    expect(walk.final?.status).toBe(200);
    expect(JSON.parse(walk.final?.body ?? '{}')).toMatchObject({ url: '/after-rotation' });
  });

  it('browser login: with the key set unreachable, the callback is a 503 and no session is made', async () => {
    await start();
    expect((await send('app', bearer(await tokenFor('app', 'alice')))).status).toBe(200);
    await idp.rotateKeys();
    const browser = new HttpBrowser();
    const origin = `http://app.localhost:${port}`;
    const walk = await browser.walk(`${origin}/`, {
      credentials: { username: 'bob', password: 'bob-password' },
      until: (url) => url.pathname === '/outpost.goauthentik.io/callback',
    });
    expect(walk.stoppedAt).toBeDefined();
    // The ID token's signature is checked against the key cache: the new key cannot be had.
    idp.failEndpoint('jwks', 503);
    const callback = await browser.request(walk.stoppedAt ?? '');
    expect(callback.status).toBe(503);
    expect(callback.setCookies.filter((line) => line.startsWith('authentik_proxy_') && !line.includes('_login_'))).toEqual([]);
  });
});

describe('Basic app passwords keep working across rotations for other clients of the same key set', () => {
  it('one key-set fetch serves both applications after a rotation', async () => {
    await start();
    expect((await send('app', bearer(await tokenFor('app', 'alice')))).status).toBe(200);
    expect((await send('own', bearer(await tokenFor('own', 'alice')))).status).toBe(200);
    await idp.rotateKeys();
    const [forApp, forOwn] = await Promise.all([tokenFor('app', 'bob'), tokenFor('own', 'bob')]);
    idp.resetCalls();
    expect((await send('app', bearer(forApp))).status).toBe(200);
    expect((await send('own', bearer(forOwn))).status).toBe(200);
    // One cache per jwks_uri: the rotation seen through `app` is already known to `own`.
    expect(idp.calls('jwks')).toBe(1);
  });
});

