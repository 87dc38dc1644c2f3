/**
 * `identity.bearer.validation`: local JWT checks cannot see a revocation; `introspection` and
 * `jwt+introspection` ask the IdP and refuse a token it revoked.
 */

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { codeFlowTokens, discover } from '../devidp/support.js';
import {
  accessTokenFor,
  bearer,
  CHALLENGES,
  lines,
  revokeAtIdp,
  startAuthStack,
  type AuthStack,
  type GatewayUnderTest,
} from '../support/auth-stack.js';
import { accessClaims } from '../support/jwt-forgery.js';

let stack: AuthStack;
let introspection: GatewayUnderTest;
let combined: GatewayUnderTest;

beforeAll(async () => {
  stack = await startAuthStack();
  introspection = await stack.gateway({ app: 'identity: { bearer: { validation: introspection } }' });
  combined = await stack.gateway({ app: 'identity: { bearer: { validation: jwt+introspection } }' });
});
afterAll(async () => {
  await stack?.close();
});
beforeEach(() => {
  stack.idp.resetCalls();
});

async function expectRefused(gateway: GatewayUnderTest, token: string): Promise<void> {
  const res = await gateway.get('/', { authorization: bearer(token) });
  expect(res.status).toBe(401);
  expect(lines(res.headers, 'www-authenticate')).toContain(CHALLENGES.invalidBearer);
  expect(res.upstream).toBeUndefined();
}

describe.each([
  ['introspection', () => introspection],
  ['jwt+introspection', () => combined],
])('validation: %s', (mode, gatewayOf) => {
  it('accepts a live token after asking the introspection endpoint', async () => {
    const token = await accessTokenFor(stack.idp, 'alice');
    stack.idp.resetCalls();
    const res = await gatewayOf().get('/', { authorization: bearer(token) });
    expect(res.status).toBe(200);
    expect(res.upstream?.headers['x-authentik-username']).toBe('alice');
    expect(res.upstream?.headers['x-authentik-groups']).toBe('staff|admins');
    expect(res.upstream?.headers.authorization).toBeUndefined();
    expect(stack.idp.calls('introspection')).toBe(1);
  });

  it('refuses a token revoked at the IdP', async () => {
    const token = await accessTokenFor(stack.idp, 'bob');
    await revokeAtIdp(stack.idp, token);
    await expectRefused(gatewayOf(), token);
  });

  it('refuses a token of a user the IdP deactivated', async () => {
    const token = await accessTokenFor(stack.idp, 'bob');
    stack.idp.setUserActive('bob', false);
    try {
      await expectRefused(gatewayOf(), token);
    } finally {
      stack.idp.setUserActive('bob', true);
    }
  });

  it(`refuses a token issued to another client${mode === 'introspection' ? ' (audience from the introspection answer)' : ''}`, async () => {
    const token = await accessTokenFor(stack.idp, 'alice', { id: 'other-app', secret: 'other-app-dev-secret' });
    await expectRefused(gatewayOf(), token);
  });
});

describe('validation: jwt (the default)', () => {
  it('cannot see a revocation: the revoked token still passes the local checks', async () => {
    // The contrast that makes the tests above mean something: the same revoked token, checked
    // only against the keys, is accepted.
    const token = await accessTokenFor(stack.idp, 'bob');
    await revokeAtIdp(stack.idp, token);
    const res = await stack.get('/', { authorization: bearer(token) });
    expect(res.status).toBe(200);
    expect(stack.idp.calls('introspection')).toBe(0);
  });
});

describe('validation: jwt+introspection', () => {
  it('refuses a forgery locally, without an introspection call', async () => {
    const token = await stack.idp.signJwt(accessClaims(stack.idp, 'alice'), { foreignKey: true });
    await expectRefused(combined, token);
    expect(stack.idp.calls('introspection')).toBe(0);
  });

  it('refuses a live refresh token offered as an access token', async () => {
    const tokens = await codeFlowTokens(await discover(stack.idp), { username: 'bob', password: 'bob-password' });
    await expectRefused(combined, String(tokens.refresh_token));
  });
});

describe('validation: introspection', () => {
  // The dev IdP says `token_type: refresh_token` when introspecting a refresh token, and
  // Portcullis refuses any token type other than an access token. authentik's introspection
  // gives no token_type for refresh tokens: with authentik, use jwt or jwt+introspection.
  it('refuses a live refresh token offered as an access token when the IdP names its type', async () => {
    const tokens = await codeFlowTokens(await discover(stack.idp), { username: 'bob', password: 'bob-password' });
    await expectRefused(introspection, String(tokens.refresh_token));
  });
});
