/**
 * Basic app passwords end to end: a real dev IdP checks them at its token endpoint, the
 * gateway forwards the identity to a real upstream and keeps the password from it.
 */

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  accessTokenFor,
  basic,
  CHALLENGES,
  jwtPayload,
  lines,
  PASSWORDS,
  sleep,
  startAuthStack,
  type Answer,
  type AuthStack,
} from '../support/auth-stack.js';

// A one-second credential cache lets a test see the IdP asked again without a long wait.
const CACHE_TTL_MS = 1000;

let stack: AuthStack;

beforeAll(async () => {
  stack = await startAuthStack({ top: 'cache: { credentialTtl: "1s" }' });
});
afterAll(async () => {
  await stack?.close();
});
beforeEach(() => {
  stack.idp.resetCalls();
});

function expectRefused(res: Answer): void {
  expect(res.status).toBe(401);
  expect(lines(res.headers, 'www-authenticate')).toEqual([CHALLENGES.basic, CHALLENGES.bearer]);
  expect(res.upstream).toBeUndefined();
}

describe('a valid app password', () => {
  it('reaches the upstream with the identity headers and without the caller\'s Authorization', async () => {
    const res = await stack.get('/dashboard', { authorization: basic('alice', PASSWORDS.alice.cli) });
    expect(res.status).toBe(200);
    const seen = res.upstream;
    expect(seen).toBeDefined();
    expect(seen?.headers.authorization).toBeUndefined();
    expect(seen?.headers['x-authentik-username']).toBe('alice');
    expect(seen?.headers['x-authentik-groups']).toBe('staff|admins');
    expect(seen?.headers['x-authentik-email']).toBe('alice@example.com');
    expect(seen?.headers['x-authentik-uid']).toBe(stack.idp.userClaims('alice').sub);
    const jwt = String(seen?.headers['x-authentik-jwt']);
    expect(jwtPayload(jwt)).toMatchObject({ preferred_username: 'alice', aud: 'portcullis', iss: stack.idp.issuer });
    expect(jwt).not.toContain(PASSWORDS.alice.cli);
    expect(stack.idp.calls('token')).toBe(1);
  });

  it('sends the ID token of the token response as X-authentik-jwt, as authentik does after Basic', async () => {
    const res = await stack.get('/jwt', { authorization: basic('bob', PASSWORDS.bob.cli) });
    expect(res.status).toBe(200);
    const jwt = String(res.upstream?.headers['x-authentik-jwt']);
    const header = JSON.parse(Buffer.from(jwt.split('.')[0] ?? '', 'base64url').toString('utf8')) as { typ?: string };
    // An access token is typed at+jwt (RFC 9068); the ID token is not, and carries the login's at_hash.
    expect(header.typ).not.toBe('at+jwt');
    expect(jwtPayload(jwt)).toMatchObject({ preferred_username: 'bob', aud: 'portcullis', iss: stack.idp.issuer });
  });

  it('is accepted whatever the case of the scheme name (RFC 9110 §11.1)', async () => {
    const token68 = basic('bob', PASSWORDS.bob.cli).slice('Basic '.length);
    for (const scheme of ['basic', 'BASIC', 'bAsIc']) {
      const res = await stack.get('/', { authorization: `${scheme} ${token68}` });
      expect(res.status, scheme).toBe(200);
      expect(res.upstream?.headers.authorization, scheme).toBeUndefined();
    }
  });

  it('overwrites identity headers the caller forged', async () => {
    const res = await stack.get('/', {
      authorization: basic('bob', PASSWORDS.bob.cli),
      'x-authentik-username': 'alice',
      'X-Authentik-Groups': 'admins',
    });
    expect(res.status).toBe(200);
    expect(res.upstream?.headers['x-authentik-username']).toBe('bob');
    expect(res.upstream?.headers['x-authentik-groups']).toBe('staff');
  });

  it('is accepted through the password grant when identity.basicGrant is password', async () => {
    const viaPassword = await stack.gateway({ app: 'identity: { basicGrant: password }' });
    // The login password is only good for the password grant: the default grant refuses it,
    // which shows the configured grant is the one used.
    const refused = await stack.get('/', { authorization: basic('alice', PASSWORDS.alice.login) });
    expectRefused(refused);
    const res = await viaPassword.get('/', { authorization: basic('alice', PASSWORDS.alice.login) });
    expect(res.status).toBe(200);
    expect(res.upstream?.headers['x-authentik-username']).toBe('alice');
    expect(res.upstream?.headers.authorization).toBeUndefined();
    const app = await viaPassword.get('/', { authorization: basic('bob', PASSWORDS.bob.cli) });
    expect(app.status).toBe(200);
    expect(app.upstream?.headers['x-authentik-username']).toBe('bob');
  });
});

describe('the reserved username goauthentik.io/token', () => {
  it('treats the password as a Bearer token, without asking the token endpoint', async () => {
    const token = await accessTokenFor(stack.idp, 'bob');
    stack.idp.resetCalls();
    const res = await stack.get('/', { authorization: basic('goauthentik.io/token', token) });
    expect(res.status).toBe(200);
    expect(res.upstream?.headers['x-authentik-username']).toBe('bob');
    expect(res.upstream?.headers['x-authentik-jwt']).toBe(token);
    expect(res.upstream?.headers.authorization).toBeUndefined();
    expect(stack.idp.calls('token')).toBe(0);
  });

  it('refuses a password that is not a valid token, as an invalid Bearer token', async () => {
    const res = await stack.get('/', { authorization: basic('goauthentik.io/token', PASSWORDS.alice.cli) });
    expect(res.status).toBe(401);
    expect(lines(res.headers, 'www-authenticate')).toEqual([CHALLENGES.basic, CHALLENGES.invalidBearer]);
    expect(res.upstream).toBeUndefined();
    expect(stack.idp.calls('token')).toBe(0);
  });
});

describe('refused app passwords', () => {
  it('refuses a wrong password with both challenges and does not contact the upstream', async () => {
    expectRefused(await stack.get('/', { authorization: basic('alice', 'not-her-password') }));
    expect(stack.idp.calls('token')).toBe(1);
  });

  it('refuses an unknown user', async () => {
    expectRefused(await stack.get('/', { authorization: basic('mallory', PASSWORDS.alice.cli) }));
  });

  it('refuses the login password where only app passwords are accepted', async () => {
    expectRefused(await stack.get('/', { authorization: basic('bob', PASSWORDS.bob.login) }));
  });

  it('refuses a user the IdP has deactivated', async () => {
    expectRefused(await stack.get('/', { authorization: basic('carol', PASSWORDS.carol.cli) }));
  });

  it('refuses a revoked app password once the cached success has expired', async () => {
    const credential = basic('alice', PASSWORDS.alice.ci);
    expect((await stack.get('/', { authorization: credential })).status).toBe(200);
    stack.idp.revokeAppPassword('alice', 'ci');
    await sleep(CACHE_TTL_MS + 100);
    expectRefused(await stack.get('/', { authorization: credential }));
    expect(stack.idp.calls('token')).toBe(2);
  });

  it('asks the IdP again after the cache TTL and then refuses a user deactivated meanwhile', async () => {
    const credential = basic('bob', PASSWORDS.bob.cli);
    try {
      expect((await stack.get('/', { authorization: credential })).status).toBe(200);
      const callsAfterFirst = stack.idp.calls('token');
      stack.idp.setUserActive('bob', false);
      // Within the TTL the cached success stands (DESIGN.md §6); the IdP is not asked.
      expect((await stack.get('/', { authorization: credential })).status).toBe(200);
      expect(stack.idp.calls('token')).toBe(callsAfterFirst);
      await sleep(CACHE_TTL_MS + 100);
      expectRefused(await stack.get('/', { authorization: credential }));
      expect(stack.idp.calls('token')).toBe(callsAfterFirst + 1);
    } finally {
      stack.idp.setUserActive('bob', true);
    }
  });
});
