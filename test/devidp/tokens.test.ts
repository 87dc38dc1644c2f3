import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import type { DevIdp } from '../../src/devidp/index.js';
import { appPasswordGrant, CLIENT_ID, codeFlowTokens, discover, startTestIdp } from './support.js';

describe('introspection and revocation', () => {
  let idp: DevIdp;
  let config: client.Configuration;

  beforeAll(async () => {
    idp = await startTestIdp();
    config = await discover(idp);
  });
  afterAll(() => idp.close());

  it('reports a live access token as active with the user claims', async () => {
    const { access_token } = await appPasswordGrant(config, 'alice', 'alice-app-password');
    const result = await client.tokenIntrospection(config, access_token);
    expect(result).toMatchObject({
      active: true,
      sub: idp.userClaims('alice')['sub'],
      username: 'alice',
      preferred_username: 'alice',
      client_id: CLIENT_ID,
      aud: CLIENT_ID,
      iss: idp.issuer,
      groups: ['staff', 'admins'],
      token_type: 'Bearer',
    });
  });

  it('reports a live refresh token as active', async () => {
    const tokens = await codeFlowTokens(config, { username: 'bob', password: 'bob-password' });
    const result = await client.tokenIntrospection(config, tokens.refresh_token ?? '');
    expect(result).toMatchObject({ active: true, username: 'bob', client_id: CLIENT_ID });
  });

  it.each([
    ['an opaque string', 'not-a-token'],
    ['a malformed JWT', 'a.b.c'],
  ])('reports %s as inactive', async (_case, token) => {
    expect(await client.tokenIntrospection(config, token)).toEqual({ active: false });
  });

  it('reports a token signed with the IdP key but never issued as inactive', async () => {
    const now = Math.floor(Date.now() / 1000);
    const forged = await idp.signJwt({ ...idp.userClaims('alice'), iss: idp.issuer, aud: CLIENT_ID, jti: 'forged', iat: now, exp: now + 60 });
    expect(await client.tokenIntrospection(config, forged)).toEqual({ active: false });
  });

  it('reports the tokens of a deactivated user as inactive, and active again after reactivation', async () => {
    const { access_token } = await appPasswordGrant(config, 'bob', 'bob-app-password');
    idp.setUserActive('bob', false);
    try {
      expect(await client.tokenIntrospection(config, access_token)).toEqual({ active: false });
    } finally {
      idp.setUserActive('bob', true);
    }
    expect((await client.tokenIntrospection(config, access_token)).active).toBe(true);
  });

  it('reports an expired access token as inactive', async () => {
    const shortLived = await startTestIdp({ ttl: { accessToken: 1 } });
    try {
      const shortConfig = await discover(shortLived);
      const { access_token, expires_in } = await appPasswordGrant(shortConfig, 'alice', 'alice-app-password');
      expect(expires_in).toBe(1);
      await vi.waitFor(async () => expect(await client.tokenIntrospection(shortConfig, access_token)).toEqual({ active: false }), {
        timeout: 3000,
        interval: 200,
      });
    } finally {
      await shortLived.close();
    }
  });

  it('refuses introspection to an unauthenticated caller', async () => {
    const response = await fetch(`${idp.url}/token/introspection`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: 'x', client_id: CLIENT_ID, client_secret: 'wrong' }).toString(),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('answers userinfo with the claims of the token scopes only', async () => {
    const { access_token } = await client.clientCredentialsGrant(config, { username: 'bob', password: 'bob-app-password', scope: 'openid email' });
    const info = await client.fetchUserInfo(config, access_token, client.skipSubjectCheck);
    expect(info).toEqual({ sub: idp.userClaims('bob')['sub'], email: 'bob@example.com', email_verified: true });
  });

  it('refuses userinfo without a token, and for a token without the openid scope', async () => {
    const missing = await fetch(`${idp.url}/me`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe(`Bearer realm="${idp.issuer}"`);
    const { access_token } = await client.clientCredentialsGrant(config, { username: 'bob', password: 'bob-app-password', scope: 'profile' });
    const noOpenid = await fetch(`${idp.url}/me`, { headers: { authorization: `Bearer ${access_token}` } });
    expect(noOpenid.status).toBe(403);
    expect(await noOpenid.json()).toMatchObject({ error: 'insufficient_scope' });
  });

  it('revokes an access token: introspection turns inactive and userinfo refuses it', async () => {
    const { access_token } = await appPasswordGrant(config, 'alice', 'alice-app-password');
    await client.tokenRevocation(config, access_token);
    expect(await client.tokenIntrospection(config, access_token)).toEqual({ active: false });
    const userinfo = await fetch(`${idp.url}/me`, { headers: { authorization: `Bearer ${access_token}` } });
    expect(userinfo.status).toBe(401);
    expect(userinfo.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/);
  });

  it('revokes a refresh token together with the access tokens of its grant', async () => {
    const tokens = await codeFlowTokens(config, { username: 'alice', password: 'alice-password' });
    await client.tokenRevocation(config, tokens.refresh_token ?? '');
    await expect(client.refreshTokenGrant(config, tokens.refresh_token ?? '')).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(await client.tokenIntrospection(config, tokens.access_token)).toEqual({ active: false });
  });

  it('answers 200 when revoking an unknown token', async () => {
    await expect(client.tokenRevocation(config, 'unknown-token')).resolves.toBeUndefined();
  });

  it("refuses to revoke another client's token", async () => {
    const { access_token } = await appPasswordGrant(config, 'alice', 'alice-app-password');
    const other = await discover(idp, client.ClientSecretBasic('other-app-dev-secret'), 'other-app');
    await expect(client.tokenRevocation(other, access_token)).rejects.toMatchObject({ error: 'invalid_request' });
    expect((await client.tokenIntrospection(config, access_token)).active).toBe(true);
  });
});
