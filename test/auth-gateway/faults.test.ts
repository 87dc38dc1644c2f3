/**
 * An IdP that fails or stalls while a header credential is checked: the caller gets 503 with
 * Retry-After within `timeouts.idp`, never a 401 that would tell them their password is wrong,
 * the failure is not remembered, and callers who already hold a session are not affected.
 */

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cookieNameFor } from '../../src/config/index.js';
import type { DevIdpEndpoint } from '../../src/devidp/index.js';
import {
  accessTokenFor,
  basic,
  bearer,
  lines,
  PASSWORDS,
  startAuthStack,
  type Answer,
  type AuthStack,
  type GatewayUnderTest,
} from '../support/auth-stack.js';

// Not a whole number of seconds on purpose: openid-client counts in seconds, and rounding up would
// show as answers after 2 s. Long enough that a busy machine still gets its token within it.
const IDP_TIMEOUT = '1500ms';
const IDP_TIMEOUT_MS = 1500;
const STALL_MS = 4000;
const COOKIE_NAME = cookieNameFor('portcullis');
const EVERY_ENDPOINT: readonly DevIdpEndpoint[] = ['discovery', 'jwks', 'token', 'introspection', 'revocation', 'userinfo', 'authorization'];

let stack: AuthStack;
/** A gateway on the same IdP that waits at most IDP_TIMEOUT for any IdP call. */
let impatient: GatewayUnderTest;

beforeAll(async () => {
  stack = await startAuthStack();
  impatient = await stack.gateway({ top: `timeouts: { idp: "${IDP_TIMEOUT}" }` });
});
afterAll(async () => {
  await stack?.close();
});
beforeEach(() => {
  stack.idp.clearFaults();
  stack.idp.resetCalls();
});

function expectUnavailable(res: Answer): void {
  expect(res.status).toBe(503);
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  expect(res.headers['www-authenticate']).toBeUndefined();
  expect(JSON.parse(res.text)).toMatchObject({ error: 'service_unavailable' });
  expect(res.upstream).toBeUndefined();
}

describe('the token endpoint failing', () => {
  it.each([500, 502, 503])('answers 503 with Retry-After when it answers %i, and does not remember the failure', async (status) => {
    // A credential this gateway has not seen: the cache cannot answer for it.
    const gateway = await stack.gateway();
    const credential = basic('alice', PASSWORDS.alice.cli);
    stack.idp.failEndpoint('token', status);
    expectUnavailable(await gateway.get('/', { authorization: credential }));
    expectUnavailable(await gateway.get('/', { authorization: credential }));
    expect(stack.idp.calls('token')).toBe(2);
    stack.idp.clearFaults();
    const recovered = await gateway.get('/', { authorization: credential });
    expect(recovered.status).toBe(200);
    expect(recovered.upstream?.headers['x-authentik-username']).toBe('alice');
  });

  it('answers 503 within timeouts.idp when the token endpoint stalls, then works once it answers again', async () => {
    const credential = basic('bob', PASSWORDS.bob.cli);
    stack.idp.stallEndpoint('token', STALL_MS);
    const res = await impatient.get('/', { authorization: credential });
    expectUnavailable(res);
    expect(res.ms).toBeGreaterThanOrEqual(IDP_TIMEOUT_MS - 50);
    expect(res.ms).toBeLessThan(IDP_TIMEOUT_MS + 400);
    stack.idp.clearFaults();
    expect((await impatient.get('/', { authorization: credential })).status).toBe(200);
  });
});

describe('the key set unavailable before any key was fetched', () => {
  it('answers a Bearer token with 503, not 401', async () => {
    const gateway = await stack.gateway();
    const token = await accessTokenFor(stack.idp, 'alice');
    stack.idp.failEndpoint('jwks', 503);
    expectUnavailable(await gateway.get('/', { authorization: bearer(token) }));
    stack.idp.clearFaults();
    expect((await gateway.get('/', { authorization: bearer(token) })).status).toBe(200);
  });

  it('answers 503 within timeouts.idp when the JWKS endpoint stalls', async () => {
    const gateway = await stack.gateway({ top: `timeouts: { idp: "${IDP_TIMEOUT}" }` });
    const token = await accessTokenFor(stack.idp, 'bob');
    stack.idp.stallEndpoint('jwks', STALL_MS);
    const res = await gateway.get('/', { authorization: bearer(token) });
    expectUnavailable(res);
    expect(res.ms).toBeGreaterThanOrEqual(IDP_TIMEOUT_MS - 50);
    expect(res.ms).toBeLessThan(IDP_TIMEOUT_MS + 400);
  });
});

describe('the introspection endpoint failing', () => {
  it('answers a Bearer token with 503 in introspection mode', async () => {
    const gateway = await stack.gateway({ app: 'identity: { bearer: { validation: introspection } }' });
    const token = await accessTokenFor(stack.idp, 'alice');
    stack.idp.failEndpoint('introspection', 500);
    expectUnavailable(await gateway.get('/', { authorization: bearer(token) }));
    stack.idp.clearFaults();
    expect((await gateway.get('/', { authorization: bearer(token) })).status).toBe(200);
  });
});

describe('an IdP that cannot be reached at all', () => {
  it('answers Basic and Bearer credentials with 503', async () => {
    // Port 9 (discard) on loopback: nothing listens, the connection is refused.
    const gateway = await stack.gateway({ issuer: 'http://127.0.0.1:9/unreachable' });
    expectUnavailable(await gateway.get('/', { authorization: basic('alice', PASSWORDS.alice.cli) }));
    expectUnavailable(await gateway.get('/', { authorization: bearer(await accessTokenFor(stack.idp, 'alice')) }));
  });
});

describe('a session while the IdP is down', () => {
  it('keeps a valid session cookie working', async () => {
    const first = await stack.get('/', { authorization: basic('alice', PASSWORDS.alice.ci) });
    expect(first.status).toBe(200);
    const cookie = lines(first.headers, 'set-cookie')
      .find((line) => line.startsWith(`${COOKIE_NAME}=`))
      ?.split(';')[0];
    expect(cookie).toBeDefined();
    for (const endpoint of EVERY_ENDPOINT) {
      stack.idp.failEndpoint(endpoint, 503);
    }
    stack.idp.resetCalls();
    const res = await stack.get('/', { cookie: String(cookie) });
    expect(res.status).toBe(200);
    expect(res.upstream?.headers['x-authentik-username']).toBe('alice');
    expect(stack.idp.calls()).toBe(0);
  });
});
