/**
 * `headerAuth.intercept: false`: the Authorization header belongs to the upstream unless it
 * is a credential Portcullis accepts. A credential that is not Portcullis's passes untouched
 * and the session or the login flow decides; a valid one is consumed and stripped.
 */

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cookieNameFor } from '../../src/config/index.js';
import {
  accessTokenFor,
  basic,
  bearer,
  CHALLENGES,
  lines,
  PASSWORDS,
  startAuthStack,
  type AuthStack,
} from '../support/auth-stack.js';
import { accessClaims } from '../support/jwt-forgery.js';

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8';
const COOKIE_NAME = cookieNameFor('portcullis');

let stack: AuthStack;
/** A session of bob's, from a Basic request to the same gateway. */
let session: string;
/** Credentials the upstream may own: Portcullis cannot (or must not) accept them. */
let foreign: readonly (readonly [string, string])[];

beforeAll(async () => {
  stack = await startAuthStack({ app: 'headerAuth: { intercept: false }\nskipPathRegex: ["^/public/"]' });
  const first = await stack.get('/', { authorization: basic('bob', PASSWORDS.bob.cli) });
  const cookie = lines(first.headers, 'set-cookie').find((line) => line.startsWith(`${COOKIE_NAME}=`));
  session = String(cookie?.split(';')[0]);
  const forged = await stack.idp.signJwt(accessClaims(stack.idp, 'alice'), { foreignKey: true });
  foreign = [
    ['Basic of an unknown user', basic('mallory', 'upstream-password')],
    ['Basic of a known user with the upstream\'s own password', basic('alice', 'upstream-password')],
    ['Digest', 'Digest username="mallory", realm="upstream", nonce="abc", uri="/x", response="0123456789abcdef"'],
    ['Bearer with a token the IdP did not sign', bearer(forged)],
  ];
});
afterAll(async () => {
  await stack?.close();
});
beforeEach(() => {
  stack.idp.resetCalls();
});

describe('credentials that are not Portcullis\'s', () => {
  it('reach the upstream byte for byte on a skip path', async () => {
    for (const [name, authorization] of foreign) {
      const res = await stack.get('/public/file', { authorization });
      expect(res.status, name).toBe(200);
      expect(res.upstream?.headers.authorization, name).toBe(authorization);
      expect(res.upstream?.headers['x-authentik-username'], name).toBeUndefined();
    }
  });

  it('reach the upstream byte for byte when a session decides who the caller is', async () => {
    for (const [name, authorization] of foreign) {
      const res = await stack.get('/private', { authorization, cookie: session });
      expect(res.status, name).toBe(200);
      expect(res.upstream?.headers.authorization, name).toBe(authorization);
      expect(res.upstream?.headers['x-authentik-username'], name).toBe('bob');
    }
  });

  it('leave a browser to the login flow', async () => {
    for (const [name, authorization] of foreign) {
      const res = await stack.get('/private', { authorization, accept: BROWSER_ACCEPT });
      expect(res.status, name).toBe(302);
      expect(res.headers.location, name).toMatch(/^http:\/\/app\.test\/outpost\.goauthentik\.io\/start\?rd=/);
      expect(res.upstream, name).toBeUndefined();
    }
  });

  it('leave an API client with the plain challenges, not an invalid_token verdict, and the upstream uncontacted', async () => {
    for (const [name, authorization] of foreign) {
      const res = await stack.get('/private', { authorization });
      expect(res.status, name).toBe(401);
      expect(lines(res.headers, 'www-authenticate'), name).toEqual([CHALLENGES.basic, CHALLENGES.bearer]);
      expect(res.upstream, name).toBeUndefined();
    }
  });
});

describe('credentials Portcullis accepts', () => {
  it('consumes and strips a valid app password', async () => {
    const res = await stack.get('/private', { authorization: basic('alice', PASSWORDS.alice.cli) });
    expect(res.status).toBe(200);
    expect(res.upstream?.headers.authorization).toBeUndefined();
    expect(res.upstream?.headers['x-authentik-username']).toBe('alice');
  });

  it('consumes and strips a valid Bearer token', async () => {
    const res = await stack.get('/private', { authorization: bearer(await accessTokenFor(stack.idp, 'alice')) });
    expect(res.status).toBe(200);
    expect(res.upstream?.headers.authorization).toBeUndefined();
    expect(res.upstream?.headers['x-authentik-username']).toBe('alice');
  });
});

describe('a valid credential sent along with a session cookie', () => {
  // curl -u … -b jar -c jar sends both on every request: under intercept: false the header is
  // checked before the session, so Portcullis's own credential is recognised and consumed.
  it('is consumed and stripped, not passed to the upstream', async () => {
    for (const authorization of [basic('alice', PASSWORDS.alice.cli), bearer(await accessTokenFor(stack.idp, 'alice'))]) {
      const res = await stack.get('/private', { authorization, cookie: session });
      expect(res.status).toBe(200);
      expect(res.upstream?.headers.authorization).toBeUndefined();
      expect(res.upstream?.headers['x-authentik-username']).toBe('alice');
    }
  });
});

describe('malformed credentials', () => {
  it('are refused whatever intercept says', async () => {
    for (const [authorization, status] of [['Basic !!!', 401], ['Bearer a b', 400], ['Negotiate abc, Bearer forged', 401]] as const) {
      const res = await stack.get('/private', { authorization });
      expect(res.status, authorization).toBe(status);
      expect(res.upstream, authorization).toBeUndefined();
    }
    expect(stack.idp.calls()).toBe(0);
  });
});
