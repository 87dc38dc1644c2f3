/**
 * Sessions outlive their access token by refreshing it (DESIGN.md §6), once per expiry even
 * when many requests arrive together (the IdP rotates refresh tokens and treats a reused one
 * as theft, ending the grant), and end when the IdP has revoked the grant.
 *
 * The dev IdP issues 2-second access tokens here. The gateway refreshes a token with less than
 * 30 s left (SessionRefresher's margin, not configurable), so with such short tokens every
 * request that finds the token stale refreshes it: "one refresh per expiry" is checked as
 * "one refresh per burst of concurrent requests arriving while the token is stale". The
 * IdP's token endpoint is stalled during a burst so that every request of the burst arrives
 * while the refresh is in flight, which is the situation the lock exists for.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSessionStore, decodeSessionCookie, type SessionStore } from '../../src/sessions/index.js';
import { TEST_SECRET, type RunningGateway } from '../support/gateway.js';
import { jwtPayload, type HttpBrowser } from '../support/http-browser.js';
import { describeNeeding } from '../support/real-parts.js';
import { redisProblem } from '../support/redis.js';
import { apiRequest, CLIENT_ID, CLIENT_SECRET, COOKIE_NAME, echoed, RESERVED, startLoginStack, storeChoice, type LoginStack } from '../support/login-stack.js';
import { clockPast } from '../support/wait.js';

const SHORT_TTL = { accessToken: 2 };
const BURST = 10;
const redisMissing = await redisProblem();

interface Seen {
  readonly status: number;
  readonly username: string | undefined;
  readonly token: string | undefined;
}

/** One request with only the session cookie, as an API client or (`navigation`) as a browser page load. */
async function seen(browser: HttpBrowser, url: string, cookie: string, navigation = false): Promise<Seen> {
  const hop = navigation
    ? await browser.request(url, { anonymous: true, headers: { cookie: `${COOKIE_NAME}=${cookie}` } })
    : await apiRequest(browser, url, cookie);
  if (hop.status !== 200) return { status: hop.status, username: undefined, token: undefined };
  const headers = echoed(hop).headers;
  return { status: 200, username: headers['x-authentik-username'], token: headers['x-authentik-jwt'] };
}

const expiryOf = (token: string | undefined) => Number(jwtPayload(token ?? '')['exp']) * 1000;

/**
 * Waits until the session's current access token has expired at the IdP, then sends a burst of
 * concurrent requests (spread over `origins`, replicas of one application) and checks that it
 * cost exactly one refresh and that everyone got through with the same, unexpired new token
 * (API clients and browser page loads alike: nobody is sent to log in).
 */
async function burstAfterExpiry(stack: LoginStack, origins: readonly string[], cookie: string, current: string | undefined): Promise<string | undefined> {
  await clockPast(expiryOf(current) + 50);
  const calls = stack.idp.calls('token');
  stack.idp.stallEndpoint('token', 500);
  let answers: Seen[];
  try {
    const browser = stack.browser();
    answers = await Promise.all(Array.from({ length: BURST }, (_, i) => seen(browser, `${origins[i % origins.length]}/burst/${i}`, cookie, i % 4 === 1)));
  } finally {
    stack.idp.clearFaults();
  }
  expect(answers.map((a) => a.status)).toEqual(Array(BURST).fill(200));
  expect(answers.map((a) => a.username)).toEqual(Array(BURST).fill('alice'));
  expect(stack.idp.calls('token') - calls).toBe(1);
  const tokens = new Set(answers.map((a) => a.token));
  expect(tokens.size).toBe(1);
  const [fresh] = tokens;
  expect(fresh).not.toBe(current);
  expect(expiryOf(fresh)).toBeGreaterThan(Date.now());
  return fresh;
}

describe('session refresh (memory sessions)', () => {
  let stack: LoginStack;

  beforeAll(async () => {
    stack = await startLoginStack({ ttl: SHORT_TTL });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('keeps the user signed in across access-token expiry, one refresh per burst, rotated refresh tokens included', async () => {
    const browser = stack.browser();
    const { cookie, final } = await stack.login(browser, 'alice');
    let token = echoed(final).headers['x-authentik-jwt'];
    // Two expiries: the second refresh spends the refresh token the first one received.
    token = await burstAfterExpiry(stack, [stack.origin()], cookie, token);
    await burstAfterExpiry(stack, [stack.origin()], cookie, token);
  });

  it('does not call the IdP while the access token is fresh', async () => {
    const fresh = await startLoginStack();
    try {
      const browser = fresh.browser();
      const { cookie } = await fresh.login(browser, 'alice');
      const calls = fresh.idp.calls('token');
      const answers = await Promise.all(Array.from({ length: BURST }, () => seen(browser, `${fresh.origin()}/x`, cookie)));
      expect(answers.map((a) => a.status)).toEqual(Array(BURST).fill(200));
      expect(fresh.idp.calls('token')).toBe(calls);
    } finally {
      await fresh.close();
    }
  });
});

describeNeeding('Redis', redisMissing, 'session refresh (Redis sessions, two replicas)', () => {
  let stack: LoginStack;
  let replica: RunningGateway;
  let store: SessionStore;
  let replicaOrigin: string;

  beforeAll(async () => {
    const sessions = storeChoice('redis');
    stack = await startLoginStack({ ttl: SHORT_TTL, sessions });
    replica = await stack.replica();
    replicaOrigin = `http://${new URL(stack.origin()).hostname}:${replica.port}`;
    if (sessions.kind !== 'redis') throw new Error('unreachable');
    // The test reads sessions the way a third replica would: same Redis, prefix and secret.
    store = createSessionStore(
      { store: 'redis', redis: { url: sessions.url, cluster: [], keyPrefix: sessions.keyPrefix }, cookieName: '', lifetimeMs: 86_400_000 },
      { secret: TEST_SECRET },
    );
  });
  afterAll(async () => {
    await store?.close();
    await stack?.close();
  });

  const recordOf = async (cookie: string) => store.get(decodeSessionCookie(cookie, 'app', TEST_SECRET) ?? '', 'app');

  it('refreshes once per expiry across replicas, storing each rotated refresh token', async () => {
    const browser = stack.browser();
    const { cookie, final } = await stack.login(browser, 'alice');
    const before = (await recordOf(cookie))?.identity.refreshToken;
    expect(before).toBeDefined();
    let token = echoed(final).headers['x-authentik-jwt'];
    token = await burstAfterExpiry(stack, [stack.origin(), replicaOrigin], cookie, token);
    const after = (await recordOf(cookie))?.identity.refreshToken;
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
    await burstAfterExpiry(stack, [replicaOrigin, stack.origin()], cookie, token);
  });

  it('ends a session whose refresh token was revoked at the IdP', async () => {
    const browser = stack.browser();
    const { cookie } = await stack.login(browser, 'alice');
    const refreshToken = (await recordOf(cookie))?.identity.refreshToken ?? '';
    const revoked = await fetch(`${stack.idp.issuer}/token/revocation`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token: refreshToken, token_type_hint: 'refresh_token' }),
    });
    expect(revoked.status).toBe(200);
    const page = await browser.request(`${stack.origin()}/next`);
    expect(page.status).toBe(302);
    expect(page.location?.startsWith(`${stack.origin()}${RESERVED}/start?rd=`)).toBe(true);
    expect((await apiRequest(browser, `${replicaOrigin}/next`, cookie)).status).toBe(401);
    expect(await recordOf(cookie)).toBeNull();
  });
});
