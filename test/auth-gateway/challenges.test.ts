/**
 * Who gets a login redirect and who gets a challenge (DESIGN.md §5), and what happens to
 * credential headers the gateway cannot take at face value: duplicates and malformed ones are
 * refused with a challenge, never a 500, without asking the IdP or contacting the upstream.
 */

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

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

let stack: AuthStack;

beforeAll(async () => {
  stack = await startAuthStack();
});
afterAll(async () => {
  await stack?.close();
});
beforeEach(() => {
  stack.idp.resetCalls();
});

function expectChallenge(res: Answer, bearerLine: string = CHALLENGES.bearer): void {
  expect(res.status).toBe(401);
  expect(lines(res.headers, 'www-authenticate')).toEqual([CHALLENGES.basic, bearerLine]);
  expect(res.headers.location).toBeUndefined();
  expect(res.upstream).toBeUndefined();
}

describe('requests without credentials', () => {
  it('redirects a browser to the login start, remembering the full original URL', async () => {
    const res = await stack.get('/reports/q?year=2024&x=%2F', { accept: BROWSER_ACCEPT });
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe(`http://app.test/outpost.goauthentik.io/start?rd=${encodeURIComponent('http://app.test/reports/q?year=2024&x=%2F')}`);
    expect(res.upstream).toBeUndefined();
  });

  it.each([
    ['the X-Authentik-No-Redirect header', { 'x-authentik-no-redirect': '1' }, '/reports'],
    ['the X-Authentik-No-Redirect header with an empty value', { 'x-authentik-no-redirect': '' }, '/reports'],
    ['the X-Authentik-No-Redirect header in another case', { 'X-AUTHENTIK-NO-REDIRECT': 'true' }, '/reports'],
    ['the x-authentik-no-redirect query parameter', {}, '/reports?x-authentik-no-redirect'],
    ['the query parameter with a value, among others', {}, '/reports?a=1&X-Authentik-No-Redirect=1'],
  ])('challenges a browser that opts out with %s', async (_name, headers, path) => {
    expectChallenge(await stack.get(path, { accept: BROWSER_ACCEPT, ...headers }));
  });

  it.each([
    ['application/json', { accept: 'application/json' }],
    ['*/*', { accept: '*/*' }],
    ['no Accept at all', {}],
  ])('challenges a non-browser client (%s)', async (_name, headers) => {
    expectChallenge(await stack.get('/api/items', headers));
  });

  it('sends one WWW-Authenticate field line per scheme on the wire', async () => {
    const res = await stack.raw('/api/items', ['Accept: application/json']);
    expect(res.status).toBe(401);
    expect(header(res, 'www-authenticate')).toEqual([CHALLENGES.basic, CHALLENGES.bearer]);
    expect(res.upstream).toBeUndefined();
  });

  it('challenges a browser whose credentials are wrong instead of sending it to the login page', async () => {
    expectChallenge(await stack.get('/', { accept: BROWSER_ACCEPT, authorization: basic('alice', 'wrong') }));
  });
});

describe('two credential header lines', () => {
  it('refuses two Authorization lines, even two valid ones, without contacting the upstream', async () => {
    const alice = basic('alice', PASSWORDS.alice.cli);
    const bob = basic('bob', PASSWORDS.bob.cli);
    for (const pair of [
      [alice, alice],
      [alice, bob],
      [bearer(await accessTokenFor(stack.idp, 'alice')), bob],
    ]) {
      stack.idp.resetCalls();
      const res = await stack.raw('/', pair.map((value) => `Authorization: ${value}`));
      // Two credentials where the first is Bearer: invalid_request (RFC 6750 §3.1), a 400.
      expect(res.status).toBe(pair[0]?.startsWith('Bearer') === true ? 400 : 401);
      expect(header(res, 'www-authenticate')[0]).toBe(CHALLENGES.basic);
      expect(res.upstream).toBeUndefined();
      expect(stack.idp.calls('token')).toBe(0);
    }
  });

  it('refuses an Authorization line followed by an empty one', async () => {
    const res = await stack.raw('/', [`Authorization: ${basic('alice', PASSWORDS.alice.cli)}`, 'Authorization: ']);
    expect(res.status).toBe(401);
    expect(res.upstream).toBeUndefined();
  });
});

describe('malformed credential headers', () => {
  const nocolon = `Basic ${Buffer.from('nocolon').toString('base64')}`;

  it.each([
    ['Basic !!!', 'Basic !!!', CHALLENGES.bearer],
    ['Basic without the colon', nocolon, CHALLENGES.bearer],
    // base64 of bob's valid `bob:bob-app-password` without its final `=`: decodable, but not canonical.
    ['Basic with the base64 padding dropped', 'Basic Ym9iOmJvYi1hcHAtcGFzc3dvcmQ', CHALLENGES.bearer],
    ['Basic with an empty password', basic('alice', ''), CHALLENGES.bearer],
    ['Basic with nothing after the scheme', 'Basic', CHALLENGES.bearer],
    ['Basic with a control character in the user-id', basic('ali\u0001ce', PASSWORDS.alice.cli), CHALLENGES.bearer],
    ['an unknown scheme smuggling a Bearer token', 'Negotiate abc, Bearer def', CHALLENGES.bearer],
  ])('answers %s with 401, not 500, and asks the IdP nothing', async (_name, authorization, bearerLine) => {
    const res = await stack.get('/', { authorization });
    expectChallenge(res, bearerLine);
    expect(JSON.parse(res.text)).toMatchObject({ error: 'unauthorized' });
    expect(stack.idp.calls('token')).toBe(0);
    expect(stack.idp.calls()).toBe(0);
  });

  // RFC 6750 §3.1: a malformed Bearer request is invalid_request, a 400, not a verdict on a token.
  it.each([
    ['Bearer a b', 'Bearer a b'],
    ['Bearer with a quoted value', 'Bearer "token"'],
    ['Bearer with nothing after the scheme', 'Bearer'],
    ['Bearer with an empty token', 'Bearer '],
    ['two credentials in one line', `Bearer abc, ${basic('alice', PASSWORDS.alice.cli)}`],
    ['a credential longer than 8 KiB', `Bearer ${'a'.repeat(9000)}`],
  ])('answers %s with 400 invalid_request, and asks the IdP nothing', async (_name, authorization) => {
    const res = await stack.raw('/', [`Authorization: ${authorization}`]);
    expect(res.status).toBe(400);
    expect(header(res, 'www-authenticate')).toEqual([CHALLENGES.basic, 'Bearer realm="app", error="invalid_request"']);
    expect(JSON.parse(res.body)).toMatchObject({ error: 'invalid_request' });
    expect(res.upstream).toBeUndefined();
    expect(stack.idp.calls()).toBe(0);
  });
});
