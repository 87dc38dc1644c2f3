import { createLocalJWKSet, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { describe, expect, it } from 'vitest';

import { isPortcullisError } from '../../src/errors/index.js';
import { startDevIdp } from '../../src/devidp/index.js';
import { isLoopbackHost } from '../../src/devidp/loopback.js';
import { appPasswordGrant, CLIENT_ID, codeFlowTokens, discover, fetchJwks, startTestIdp, USERS_FILE } from './support.js';

describe('starting the development IdP', () => {
  it('serves a discovery document whose issuer is exactly idp.issuer', async () => {
    const idp = await startTestIdp();
    try {
      expect(idp.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(idp.issuer).toBe(idp.url);
      const doc = (await (await fetch(`${idp.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
      expect(doc).toMatchObject({
        issuer: idp.issuer,
        jwks_uri: `${idp.url}/jwks`,
        token_endpoint: `${idp.url}/token`,
        userinfo_endpoint: `${idp.url}/me`,
        introspection_endpoint: `${idp.url}/token/introspection`,
        revocation_endpoint: `${idp.url}/token/revocation`,
        end_session_endpoint: `${idp.url}/session/end`,
        code_challenge_methods_supported: ['S256'],
        backchannel_logout_supported: true,
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      });
      expect(doc.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token', 'client_credentials', 'password']));
      expect(doc.scopes_supported).toEqual(expect.arrayContaining(['openid', 'profile', 'email', 'ak_proxy', 'offline_access']));
    } finally {
      await idp.close();
    }
  });

  it('serves every endpoint under an authentik-style issuer path with a trailing slash', async () => {
    const idp = await startTestIdp({ issuerPath: '/application/o/portcullis/' });
    try {
      expect(idp.issuer).toBe(`${idp.url}/application/o/portcullis/`);
      const config = await discover(idp);
      expect(config.serverMetadata().issuer).toBe(idp.issuer);
      expect(config.serverMetadata().token_endpoint).toBe(`${idp.url}/application/o/portcullis/token`);

      const tokens = await codeFlowTokens(config, { username: 'alice', password: 'alice-password' });
      const jwks = await fetchJwks(config.serverMetadata().jwks_uri ?? '');
      const { payload } = await jwtVerify(tokens.access_token, createLocalJWKSet(jwks), { issuer: idp.issuer, audience: CLIENT_ID });
      expect(payload['preferred_username']).toBe('alice');
      expect((await client.tokenIntrospection(config, tokens.access_token)).active).toBe(true);
      expect(idp.calls('interaction')).toBe(2);
      expect((await fetch(`${idp.url}/.well-known/openid-configuration`)).status).toBe(404);
    } finally {
      await idp.close();
    }
  });

  it('uses an explicit issuer URL verbatim', async () => {
    const probe = await startTestIdp();
    const port = Number(new URL(probe.url).port);
    await probe.close();
    const idp = await startTestIdp({ port, issuerUrl: `http://localhost:${port}` });
    try {
      expect(idp.issuer).toBe(`http://localhost:${port}`);
      const config = await discover(idp);
      expect((await appPasswordGrant(config, 'bob', 'bob-app-password')).access_token).toEqual(expect.any(String));
    } finally {
      await idp.close();
    }
  });

  it('refuses to listen on a non-loopback address', async () => {
    const failure = await startDevIdp({ users: USERS_FILE, host: '0.0.0.0' }).catch((err: unknown) => err);
    expect(isPortcullisError(failure, 'PCL_DEVIDP_NON_LOOPBACK')).toBe(true);
    expect((failure as Error).message).toMatch(/loopback/);
  });

  it('listens on a non-loopback address only with allowNonLoopback', async () => {
    const idp = await startDevIdp({ users: USERS_FILE, host: '0.0.0.0', allowNonLoopback: true });
    try {
      expect(idp.url).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
    } finally {
      await idp.close();
    }
  });

  it('refuses an issuer URL with a query or fragment', async () => {
    for (const issuerUrl of ['http://127.0.0.1:1/?x=1', 'http://127.0.0.1:1/#f', 'ftp://127.0.0.1/', 'not a url']) {
      const failure = await startTestIdp({ issuerUrl }).catch((err: unknown) => err);
      expect(isPortcullisError(failure, 'PCL_USAGE')).toBe(true);
    }
  });

  it('reports an invalid users file before listening', async () => {
    const failure = await startDevIdp({ users: '/nonexistent/users.yaml' }).catch((err: unknown) => err);
    expect(isPortcullisError(failure, 'PCL_USERS_INVALID')).toBe(true);
  });

  it('can be closed twice', async () => {
    const idp = await startTestIdp();
    await Promise.all([idp.close(), idp.close()]);
    await idp.close();
  });
});

describe('isLoopbackHost', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['localhost', true],
    ['::1', true],
    ['[::1]', true],
    ['0:0:0:0:0:0:0:1', true],
    ['::ffff:127.0.0.1', true],
    ['0.0.0.0', false],
    ['::', false],
    ['192.168.1.10', false],
    ['example.com', false],
    ['localhost.example.com', false],
    ['128.0.0.1', false],
  ])('%s -> %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });
});
