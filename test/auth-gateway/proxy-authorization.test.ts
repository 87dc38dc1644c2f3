/**
 * `headerAuth.header: proxy-authorization`: Portcullis authenticates the caller by
 * Proxy-Authorization and challenges with 407 + Proxy-Authenticate, so that the caller's own
 * Authorization is the upstream's and reaches it untouched.
 */

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { header } from '../support/raw-http.js';
import {
  accessTokenFor,
  basic,
  bearer,
  CHALLENGES,
  lines,
  PASSWORDS,
  startAuthStack,
  type Answer,
  type AuthStack,
} from '../support/auth-stack.js';

const UPSTREAM_AUTHORIZATION = basic('grafana-admin', 'the-upstream\'s-own-password');

let stack: AuthStack;

beforeAll(async () => {
  stack = await startAuthStack({ app: 'headerAuth: { header: proxy-authorization }' });
});
afterAll(async () => {
  await stack?.close();
});
beforeEach(() => {
  stack.idp.resetCalls();
});

function expectProxyChallenge(res: Answer, bearerLine: string = CHALLENGES.bearer): void {
  expect(res.status).toBe(407);
  expect(lines(res.headers, 'proxy-authenticate')).toEqual([CHALLENGES.basic, bearerLine]);
  expect(res.headers['www-authenticate']).toBeUndefined();
  expect(res.upstream).toBeUndefined();
}

describe('without Proxy-Authorization', () => {
  it('answers 407 with one Proxy-Authenticate line per scheme', async () => {
    expectProxyChallenge(await stack.get('/', { accept: 'application/json' }));
    const raw = await stack.raw('/', ['Accept: application/json']);
    expect(raw.status).toBe(407);
    expect(header(raw, 'proxy-authenticate')).toEqual([CHALLENGES.basic, CHALLENGES.bearer]);
  });

  it('does not take a valid credential in Authorization for its own', async () => {
    expectProxyChallenge(await stack.get('/', { authorization: basic('alice', PASSWORDS.alice.cli) }));
    expect(stack.idp.calls('token')).toBe(0);
  });
});

describe('with Proxy-Authorization', () => {
  it('lets a valid app password through; the upstream gets the caller\'s Authorization and no Proxy-Authorization', async () => {
    const res = await stack.get('/', { 'proxy-authorization': basic('alice', PASSWORDS.alice.cli), authorization: UPSTREAM_AUTHORIZATION });
    expect(res.status).toBe(200);
    expect(res.upstream?.headers.authorization).toBe(UPSTREAM_AUTHORIZATION);
    expect(res.upstream?.headers['proxy-authorization']).toBeUndefined();
    expect(res.upstream?.headers['x-authentik-username']).toBe('alice');
  });

  it('lets a valid Bearer token through the same way', async () => {
    const token = await accessTokenFor(stack.idp, 'bob');
    const res = await stack.get('/', { 'proxy-authorization': bearer(token), authorization: 'Bearer upstream-api-key' });
    expect(res.status).toBe(200);
    expect(res.upstream?.headers.authorization).toBe('Bearer upstream-api-key');
    expect(res.upstream?.headers['proxy-authorization']).toBeUndefined();
    expect(res.upstream?.headers['x-authentik-username']).toBe('bob');
  });

  it('answers a wrong app password with 407', async () => {
    expectProxyChallenge(await stack.get('/', { 'proxy-authorization': basic('alice', 'wrong'), authorization: UPSTREAM_AUTHORIZATION }));
  });

  it('answers an invalid Bearer token with 407 and error="invalid_token"', async () => {
    const res = await stack.get('/', { 'proxy-authorization': bearer('not.a.token'), authorization: UPSTREAM_AUTHORIZATION });
    expectProxyChallenge(res, CHALLENGES.invalidBearer);
  });

  it('refuses two Proxy-Authorization lines', async () => {
    const alice = basic('alice', PASSWORDS.alice.cli);
    const res = await stack.raw('/', [`Proxy-Authorization: ${alice}`, `Proxy-Authorization: ${alice}`]);
    expect(res.status).toBe(407);
    expect(res.upstream).toBeUndefined();
    expect(stack.idp.calls('token')).toBe(0);
  });
});

describe('a policy denial in the Proxy-Authorization mode', () => {
  it('puts the Bearer insufficient_scope challenge in Proxy-Authenticate, never WWW-Authenticate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-policies-'));
    writeFileSync(join(dir, 'nobody.yaml'), 'name: nobody\nkind: group\ngroups: [no-such-group]\n');
    const denying = await stack.gateway({
      app: 'headerAuth: { header: proxy-authorization }\npolicies: { bindings: [{ policy: nobody }] }',
      top: `policiesDir: "${dir}"`,
    });
    const res = await denying.get('/private', { 'proxy-authorization': bearer(await accessTokenFor(stack.idp, 'alice')), authorization: UPSTREAM_AUTHORIZATION });
    expect(res.status).toBe(403);
    expect(lines(res.headers, 'proxy-authenticate')).toEqual(['Bearer realm="app", error="insufficient_scope"']);
    expect(res.headers['www-authenticate']).toBeUndefined();
    expect(res.upstream).toBeUndefined();
  });
});
