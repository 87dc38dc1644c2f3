/**
 * The IdP stalling or going away while header credentials are checked, beyond
 * test/auth-gateway/faults.test.ts (one failing or stalled endpoint at a time, a session kept
 * during a failure) and signing-keys.test.ts (a failing JWKS endpoint keeps the last good keys):
 * many callers at once during a stall, the IdP process gone, and its return with new keys.
 * Every check the IdP is needed for is a 503 with Retry-After within `timeouts.idp` (plus a
 * generous margin: this machine is shared), never a 401, and what does not need the IdP
 * (sessions, remembered credentials, tokens under keys already fetched) keeps working.
 *
 * Readiness: /readyz turns 503 after three failed IdP calls in a row and back to 200 when the
 * IdP answers again, which the gateway finds out by probing the discovery document.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { cookieNameFor } from '../../src/config/index.js';
import { startDevIdp, type DevIdp } from '../../src/devidp/index.js';
import { accessTokenFor, basic, bearer, inBatches, lines, PASSWORDS, startAuthStack, USERS_FILE, type Answer, type AuthStack } from '../support/auth-stack.js';
import { accessClaims } from '../support/jwt-forgery.js';
import { pollUntil } from '../support/wait.js';

const IDP_TIMEOUT_MS = 1000;
/** What "bounded" means here: the IdP timeout, plus room for a busy two-core machine. */
const BOUND_MS = IDP_TIMEOUT_MS + 2500;
const COOKIE = cookieNameFor('portcullis');

let stack: AuthStack;
let aliceSession: string;
let restarted: DevIdp | undefined;

beforeAll(async () => {
  stack = await startAuthStack({ top: `timeouts: { idp: "${IDP_TIMEOUT_MS}ms" }\ncache: { jwksCooldown: "1s" }` });
  const login = await stack.get('/', { authorization: basic('alice', PASSWORDS.alice.ci) });
  aliceSession = String(lines(login.headers, 'set-cookie').find((l) => l.startsWith(`${COOKIE}=`))?.split(';')[0]);
});
afterAll(async () => {
  await stack?.close();
  await restarted?.close();
});

function expectUnavailable(res: Answer): void {
  expect(res.status).toBe(503);
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  expect(res.headers['www-authenticate']).toBeUndefined();
  expect(res.upstream).toBeUndefined();
  expect(res.ms).toBeLessThan(BOUND_MS);
}

async function readyz(): Promise<number> {
  const res = await request(`${stack.gw.health}/readyz`);
  await res.body.text();
  return res.statusCode;
}

describe('a stalled token endpoint, many callers at once', () => {
  it('answers each of 20 concurrent new credentials with 503 within the bound, not 20 timeouts in a row', async () => {
    stack.idp.stallEndpoint('token', 6000);
    try {
      const started = performance.now();
      const answers = await inBatches(20, 20, (i) => stack.get('/', { authorization: basic(`user-${i}`, 'a-password') }));
      for (const res of answers) expectUnavailable(res);
      expect(performance.now() - started).toBeLessThan(BOUND_MS);
    } finally {
      stack.idp.clearFaults();
    }
  });

  it('meanwhile serves a session and a remembered credential at once, without asking the IdP', async () => {
    stack.idp.stallEndpoint('token', 6000);
    stack.idp.stallEndpoint('jwks', 6000);
    stack.idp.resetCalls();
    try {
      const bySession = await stack.get('/', { cookie: aliceSession });
      expect(bySession.status).toBe(200);
      expect(bySession.upstream?.headers['x-authentik-username']).toBe('alice');
      const remembered = await stack.get('/', { authorization: basic('alice', PASSWORDS.alice.ci) });
      expect(remembered.status).toBe(200);
      // Not held up by the stall either (waiting for the IdP could only have ended in a 503).
      expect(Math.max(bySession.ms, remembered.ms)).toBeLessThan(BOUND_MS);
      expect(stack.idp.calls()).toBe(0);
    } finally {
      stack.idp.clearFaults();
    }
  });

  it('remembers nothing of the stall: the same credential works once the IdP answers', async () => {
    stack.idp.stallEndpoint('token', 6000);
    expectUnavailable(await stack.get('/', { authorization: basic('bob', PASSWORDS.bob.cli) }));
    stack.idp.clearFaults();
    const res = await stack.get('/', { authorization: basic('bob', PASSWORDS.bob.cli) });
    expect(res.status).toBe(200);
  });
});

describe('the IdP process gone, then back with new keys', () => {
  let bobToken: string;

  beforeAll(async () => {
    bobToken = await accessTokenFor(stack.idp, 'bob');
    // Validated once: the gateway now holds the key set it was signed with.
    expect((await stack.get('/', { authorization: bearer(bobToken) })).status).toBe(200);
    await stack.idp.close();
  });

  it('answers a new app password with 503 within the bound', async () => {
    expectUnavailable(await stack.get('/', { authorization: basic('alice', PASSWORDS.alice.cli) }));
  });

  it('keeps sessions, remembered credentials and tokens under known keys working', async () => {
    expect((await stack.get('/', { cookie: aliceSession })).status).toBe(200);
    expect((await stack.get('/', { authorization: basic('alice', PASSWORDS.alice.ci) })).status).toBe(200);
    const byToken = await stack.get('/', { authorization: bearer(bobToken) });
    expect(byToken.status).toBe(200);
    expect(byToken.upstream?.headers['x-authentik-username']).toBe('bob');
  });

  it('answers a token under a key it has not seen with 503 once the cooldown allows asking: it cannot tell', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const header = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'at+jwt', kid: 'rotated-away' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify(accessClaims(stack.idp, 'alice'))).toString('base64url');
    expectUnavailable(await stack.get('/', { authorization: bearer(`${header}.${payload}.${'A'.repeat(342)}`) }));
  });

  it('reports not ready once calls to the IdP keep failing', async () => {
    // Three failed calls in a row make the gateway unhealthy.
    for (let i = 0; i < 3; i++) {
      expectUnavailable(await stack.get('/', { authorization: basic(`nobody-${i}`, 'a-password') }));
    }
    expect(await readyz()).toBe(503);
  });

  it('recovers without a restart when the IdP is back on the same address with new signing keys', async () => {
    restarted = await startDevIdp({ users: USERS_FILE, port: Number(new URL(stack.idp.url).port) });
    expect(restarted.issuer).toBe(stack.idp.issuer);
    await pollUntil(
      'a new app password validates against the returned IdP',
      async () => (await stack.get('/', { authorization: basic('alice', PASSWORDS.alice.cli) })).status === 200,
      { timeoutMs: 10_000, intervalMs: 250 },
    );
    // Tokens it now issues are signed with a key the gateway fetched after the return.
    expect((await stack.get('/', { authorization: bearer(await accessTokenFor(restarted, 'bob')) })).status).toBe(200);
    expect(await readyz()).toBe(200);
  });

  it('becomes ready again by probing the IdP, without any traffic', async () => {
    // A replica out of rotation gets no requests that could show the IdP is back: it probes.
    restarted?.failEndpoint('token', 503);
    for (let i = 0; i < 3; i++) {
      expectUnavailable(await stack.get('/', { authorization: basic('carol-' + String(i), 'x') }));
    }
    expect(await readyz()).toBe(503);
    restarted?.clearFaults();
    await pollUntil('readiness back after a probe', async () => (await readyz()) === 200, { timeoutMs: 8_000, intervalMs: 200 });
  });
});
