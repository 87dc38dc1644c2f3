import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { DevIdp } from '../../src/devidp/index.js';
import { appPasswordGrant, CLIENT_ID, CLIENT_SECRET, discover, SCOPE, startTestIdp } from './support.js';

describe('user grants (authentik dialect)', () => {
  let idp: DevIdp;
  let config: client.Configuration;

  beforeAll(async () => {
    idp = await startTestIdp();
    config = await discover(idp);
  });
  afterAll(() => idp.close());

  async function verify(token: string) {
    const jwks = createRemoteJWKSet(new URL(`${idp.url}/jwks`));
    return jwtVerify(token, jwks, { issuer: idp.issuer, audience: CLIENT_ID, typ: 'at+jwt', algorithms: ['RS256'] });
  }

  describe('client_credentials with username and app password', () => {
    it('returns a JWT access token about the named user', async () => {
      const tokens = await appPasswordGrant(config, 'alice', 'alice-app-password');
      const { payload } = await verify(tokens.access_token);
      expect(payload).toMatchObject({
        sub: idp.userClaims('alice')['sub'],
        preferred_username: 'alice',
        email: 'alice@example.com',
        name: 'Alice Example',
        groups: ['staff', 'admins'],
        entitlements: ['grafana-editor'],
        client_id: CLIENT_ID,
        scope: SCOPE,
      });
      expect(payload.exp! - payload.iat!).toBe(600);
      expect(tokens.claims()?.['preferred_username']).toBe('alice');
    });

    it('merges group attributes in group order, then the user attributes on top', async () => {
      const alice = await verify((await appPasswordGrant(config, 'alice', 'alice-app-password')).access_token);
      expect(alice.payload['ak_proxy']).toEqual({
        user_attributes: {
          app_username: 'alice-grafana', // user beats both groups
          app_password: 's3cret',
          team: 'platform', // admins (second group) beats staff
          shell: '/bin/zsh',
          level: 'admin',
        },
        is_superuser: true,
      });
      const bob = await verify((await appPasswordGrant(config, 'bob', 'bob-app-password')).access_token);
      expect(bob.payload['ak_proxy']).toEqual({
        user_attributes: { app_username: 'staff-shared', app_password: 'staff-shared-password', team: 'ops', shell: '/bin/bash' },
        is_superuser: false,
      });
      expect(bob.payload['entitlements']).toEqual([]);
    });

    it('accepts client_secret_post as well as client_secret_basic', async () => {
      const postConfig = await discover(idp, client.ClientSecretPost(CLIENT_SECRET));
      const tokens = await appPasswordGrant(postConfig, 'bob', 'bob-app-password');
      expect((await verify(tokens.access_token)).payload['preferred_username']).toBe('bob');
    });

    it.each([
      ['a wrong app password', 'alice', 'wrong'],
      ['the login password instead of an app password', 'alice', 'alice-password'],
      ['an unknown user', 'mallory', 'alice-app-password'],
      ['an inactive user', 'carol', 'carol-app-password'],
      ['an empty password', 'alice', ''],
    ])('answers 400 invalid_grant for %s', async (_case, username, password) => {
      const response = await rawToken(idp, { grant_type: 'client_credentials', username, password, scope: SCOPE });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ error: 'invalid_grant', error_description: 'grant request is invalid' });
    });

    it('answers invalid_grant for a revoked app password while the others keep working', async () => {
      const own = await startTestIdp();
      try {
        const ownConfig = await discover(own);
        own.revokeAppPassword('alice', 'cli');
        const response = await rawToken(own, { grant_type: 'client_credentials', username: 'alice', password: 'alice-app-password' });
        expect(response.status).toBe(400);
        expect(await response.json()).toMatchObject({ error: 'invalid_grant' });
        const ci = await appPasswordGrant(ownConfig, 'alice', 'alice-ci-password');
        expect(ci.access_token).toEqual(expect.any(String));
      } finally {
        await own.close();
      }
    });

    it('answers invalid_request without username and password (no service-account fallback)', async () => {
      const response = await rawToken(idp, { grant_type: 'client_credentials', scope: SCOPE });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'invalid_request' });
    });

    it('refuses a wrong client secret before looking at the user', async () => {
      const response = await rawToken(
        idp,
        { grant_type: 'client_credentials', username: 'alice', password: 'alice-app-password' },
        'not-the-secret',
      );
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: 'invalid_client' });
    });

    it('only releases the claims of the requested scopes', async () => {
      const tokens = await client.clientCredentialsGrant(config, { username: 'alice', password: 'alice-app-password', scope: 'openid email' });
      const { payload } = await verify(tokens.access_token);
      expect(payload['email']).toBe('alice@example.com');
      expect(payload['preferred_username']).toBeUndefined();
      expect(payload['ak_proxy']).toBeUndefined();
    });
  });

  describe('password grant', () => {
    it('accepts the login password', async () => {
      const tokens = await client.genericGrantRequest(config, 'password', { username: 'alice', password: 'alice-password', scope: SCOPE });
      expect((await verify(tokens.access_token)).payload['preferred_username']).toBe('alice');
    });

    it('accepts an app password', async () => {
      const tokens = await client.genericGrantRequest(config, 'password', { username: 'bob', password: 'bob-app-password', scope: SCOPE });
      expect((await verify(tokens.access_token)).payload['groups']).toEqual(['staff']);
    });

    it('answers invalid_grant for a wrong password and for an inactive user', async () => {
      for (const [username, password] of [['alice', 'wrong'], ['carol', 'carol-password']] as const) {
        const response = await rawToken(idp, { grant_type: 'password', username, password });
        expect(response.status).toBe(400);
        expect(await response.json()).toEqual({ error: 'invalid_grant', error_description: 'grant request is invalid' });
      }
    });
  });
});

function rawToken(idp: DevIdp, fields: Record<string, string>, secret = CLIENT_SECRET): Promise<Response> {
  return fetch(`${idp.url}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${secret}`).toString('base64')}`,
    },
    body: new URLSearchParams(fields).toString(),
  });
}
