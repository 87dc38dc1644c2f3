import { createLocalJWKSet, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { DevIdp } from '../../src/devidp/index.js';
import {
  authorizationRequest, browse, fetchJwks, browserLogin, CLIENT_ID, codeFlowTokens, CookieJar, discover, formAction, location,
  postForm, REDIRECT_URI, startTestIdp,
} from './support.js';

const alice = { username: 'alice', password: 'alice-password' };

describe('authorization code flow', () => {
  let idp: DevIdp;
  let config: client.Configuration;

  beforeAll(async () => {
    idp = await startTestIdp();
    config = await discover(idp);
  });
  afterAll(() => idp.close());

  it('logs a user in through the HTML form and exchanges the code with PKCE', async () => {
    const login = await browserLogin(config, alice);
    expect(login.callbackUrl.origin + login.callbackUrl.pathname).toBe(REDIRECT_URI);
    expect(login.callbackUrl.searchParams.get('state')).toBe(login.state);

    const tokens = await client.authorizationCodeGrant(config, login.callbackUrl, {
      pkceCodeVerifier: login.codeVerifier,
      expectedState: login.state,
      expectedNonce: login.nonce,
    });
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.refresh_token).toEqual(expect.any(String));
    const idClaims = tokens.claims();
    expect(idClaims?.['preferred_username']).toBe('alice');
    expect(idClaims?.['groups']).toEqual(['staff', 'admins']);
  });

  it('issues a JWT access token for the client audience with the user claims', async () => {
    const tokens = await codeFlowTokens(config, alice);
    const jwks = await fetchJwks(`${idp.url}/jwks`);
    const { payload, protectedHeader } = await jwtVerify(tokens.access_token, createLocalJWKSet(jwks), {
      issuer: idp.issuer,
      audience: CLIENT_ID,
      typ: 'at+jwt',
    });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload).toMatchObject({
      preferred_username: 'alice',
      email: 'alice@example.com',
      groups: ['staff', 'admins'],
      scope: 'openid profile email ak_proxy',
    });
  });

  it('answers userinfo for a code-flow access token', async () => {
    const tokens = await codeFlowTokens(config, alice);
    const sub = tokens.claims()?.sub ?? '';
    const info = await client.fetchUserInfo(config, tokens.access_token, sub);
    expect(info).toMatchObject({ sub, preferred_username: 'alice', name: 'Alice Example' });
  });

  it('re-shows the login form with an error after a wrong password', async () => {
    const jar = new CookieJar();
    const start = await authorizationRequest(config);
    const page = await browse(jar, location(await browse(jar, start.authUrl), start.authUrl));
    const action = formAction(page.body, start.authUrl);
    const wrong = await postForm(jar, action, { username: 'alice', password: 'nope' });
    expect(wrong.response.status).toBe(200);
    expect(wrong.body).toContain('Invalid username or password');
    expect(wrong.body).toContain('value="alice"');

    const right = await postForm(jar, action, alice);
    expect(right.response.status).toBe(303);
  });

  it('escapes the echoed username in the login form', async () => {
    const jar = new CookieJar();
    const start = await authorizationRequest(config);
    const page = await browse(jar, location(await browse(jar, start.authUrl), start.authUrl));
    const wrong = await postForm(jar, formAction(page.body, start.authUrl), { username: '"><script>x</script>', password: 'x' });
    expect(wrong.body).not.toContain('<script>x</script>');
    expect(wrong.body).toContain('&#34;&#62;&#60;script&#62;');
  });

  it('refuses the login of an inactive user like a wrong password', async () => {
    const jar = new CookieJar();
    const start = await authorizationRequest(config);
    const page = await browse(jar, location(await browse(jar, start.authUrl), start.authUrl));
    const result = await postForm(jar, formAction(page.body, start.authUrl), { username: 'carol', password: 'carol-password' });
    expect(result.response.status).toBe(200);
    expect(result.body).toContain('Invalid username or password');
  });

  it('rejects an authorization request without PKCE', async () => {
    const url = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT_URI, scope: 'openid', state: 'x' });
    const step = await browse(new CookieJar(), url.href);
    const target = new URL(location(step, url.href));
    expect(target.searchParams.get('error')).toBe('invalid_request');
    expect(target.searchParams.get('error_description')).toMatch(/PKCE/);
  });

  it('rejects a code exchanged with the wrong PKCE verifier', async () => {
    const login = await browserLogin(config, alice);
    await expect(
      client.authorizationCodeGrant(config, login.callbackUrl, {
        pkceCodeVerifier: client.randomPKCECodeVerifier(),
        expectedState: login.state,
        expectedNonce: login.nonce,
      }),
    ).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('rotates refresh tokens and refuses a used one', async () => {
    const first = await codeFlowTokens(config, alice);
    const firstRefresh = first.refresh_token ?? '';
    const second = await client.refreshTokenGrant(config, firstRefresh);
    expect(second.refresh_token).toEqual(expect.any(String));
    expect(second.refresh_token).not.toBe(firstRefresh);
    expect(second.access_token).not.toBe(first.access_token);
    expect(second.claims()?.['preferred_username']).toBe('alice');

    await expect(client.refreshTokenGrant(config, firstRefresh)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('reuses the IdP session: a second authorization skips the login form', async () => {
    const first = await browserLogin(config, alice);
    const second = await authorizationRequest(config);
    const step = await browse(first.jar, second.authUrl);
    const callback = new URL(location(step, second.authUrl));
    expect(callback.origin + callback.pathname).toBe(REDIRECT_URI);
    expect(callback.searchParams.get('code')).toEqual(expect.any(String));
  });

  it('shows the login form again when the client asks for prompt=login', async () => {
    const first = await browserLogin(config, alice);
    const second = await authorizationRequest(config);
    const step = await browse(first.jar, `${second.authUrl}&prompt=login`);
    expect(location(step, second.authUrl)).toContain('/interaction/');
  });

  it("refuses a resource indicator naming another client's audience", async () => {
    const start = await authorizationRequest(config);
    const url = `${start.authUrl}&resource=${encodeURIComponent('urn:portcullis:devidp:client:other-app')}`;
    const target = new URL(location(await browse(new CookieJar(), url), url));
    expect(target.searchParams.get('error')).toBe('invalid_target');
  });

  it('refuses to refresh the tokens of a user deactivated meanwhile', async () => {
    const bob = await codeFlowTokens(config, { username: 'bob', password: 'bob-password' });
    idp.setUserActive('bob', false);
    try {
      await expect(client.refreshTokenGrant(config, bob.refresh_token ?? '')).rejects.toMatchObject({ error: 'invalid_grant' });
    } finally {
      idp.setUserActive('bob', true);
    }
  });
});
