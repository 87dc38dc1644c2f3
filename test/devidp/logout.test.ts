import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { createLocalJWKSet, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { loadUsersFile } from '../../src/devidp/index.js';
import type { DevIdp } from '../../src/devidp/index.js';
import { browse, browserLogin, fetchJwks, CLIENT_ID, CookieJar, discover, formAction, location, postForm, startTestIdp, USERS_FILE } from './support.js';

const POST_LOGOUT = 'http://127.0.0.1:9000/';

describe('end-session and back-channel logout', () => {
  let idp: DevIdp;
  let config: client.Configuration;
  let receiver: Server;
  const logoutTokens: string[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        logoutTokens.push(new URLSearchParams(body).get('logout_token') ?? '');
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const backchannel = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/outpost.goauthentik.io/backchannel_logout`;
    const file = await loadUsersFile(USERS_FILE);
    idp = await startTestIdp({
      users: { ...file, clients: file.clients.map((c) => (c.id === CLIENT_ID ? { ...c, backchannelLogoutUri: backchannel } : c)) },
    });
    config = await discover(idp);
  });
  afterAll(async () => {
    await idp.close();
    await new Promise((resolve) => receiver.close(resolve));
  });

  async function signedIn() {
    const login = await browserLogin(config, { username: 'alice', password: 'alice-password' });
    const tokens = await client.authorizationCodeGrant(config, login.callbackUrl, {
      pkceCodeVerifier: login.codeVerifier,
      expectedState: login.state,
      expectedNonce: login.nonce,
    });
    return { jar: login.jar, tokens };
  }

  /** The confirmation page submits itself; a fetch-driven browser posts its form. */
  async function endSession(jar: CookieJar, url: URL) {
    const page = await browse(jar, url.href);
    expect(page.response.status).toBe(200);
    expect(page.body).toContain('.submit()');
    const fields = Object.fromEntries([...page.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    expect(fields['logout']).toBe('yes');
    return postForm(jar, formAction(page.body, url.href), fields as Record<string, string>);
  }

  it('builds an end-session URL from discovery', async () => {
    const url = client.buildEndSessionUrl(config, { post_logout_redirect_uri: POST_LOGOUT });
    expect(url.href.startsWith(`${idp.issuer}/session/end?`)).toBe(true);
  });

  it('signs out without a confirmation click and redirects to the registered post-logout URI with state', async () => {
    const { jar, tokens } = await signedIn();
    const url = client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token ?? '', post_logout_redirect_uri: POST_LOGOUT, state: 'bye' });
    const done = await endSession(jar, url);
    expect(done.response.status).toBe(303);
    expect(location(done, url.href)).toBe(`${POST_LOGOUT}?state=bye`);
  });

  it('ends the grant: its access and refresh tokens stop working', async () => {
    const { jar, tokens } = await signedIn();
    await endSession(jar, client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token ?? '', post_logout_redirect_uri: POST_LOGOUT }));
    expect(await client.tokenIntrospection(config, tokens.access_token)).toEqual({ active: false });
    await expect(client.refreshTokenGrant(config, tokens.refresh_token ?? '')).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('sends a signed logout_token to the client back-channel URI', async () => {
    logoutTokens.length = 0;
    const { jar, tokens } = await signedIn();
    await endSession(jar, client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token ?? '', post_logout_redirect_uri: POST_LOGOUT }));
    await vi.waitFor(() => expect(logoutTokens).toHaveLength(1));
    const jwks = await fetchJwks(`${idp.url}/jwks`);
    const { payload, protectedHeader } = await jwtVerify(logoutTokens[0] ?? '', createLocalJWKSet(jwks), {
      issuer: idp.issuer,
      audience: CLIENT_ID,
      typ: 'logout+jwt',
    });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload.sub).toBe(tokens.claims()?.sub);
    expect(payload['sid']).toBe(tokens.claims()?.['sid']);
    expect(payload['events']).toEqual({ 'http://schemas.openid.net/event/backchannel-logout': {} });
  });

  it('refuses an unregistered post-logout redirect URI', async () => {
    const { jar, tokens } = await signedIn();
    const url = client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token ?? '', post_logout_redirect_uri: 'http://evil.example/' });
    const page = await browse(jar, url.href);
    expect(page.response.status).toBe(400);
    expect(page.body).toContain('post_logout_redirect_uri not registered');
  });
});
