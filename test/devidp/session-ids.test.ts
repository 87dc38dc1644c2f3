import { decodeJwt } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { DevIdp } from '../../src/devidp/index.js';
import { OutpostSocket, startOutpostIdp } from './outpost-support.js';
import { authorizationRequest, browse, browserLogin, CookieJar, discover, location } from './support.js';

const alice = { username: 'alice', password: 'alice-password' };
const SHA256_HEX = /^[0-9a-f]{64}$/;

describe('sid claim (authentik: one per browser session, named by SESSION_END)', () => {
  let idp: DevIdp;
  let portcullis: client.Configuration;
  let otherApp: client.Configuration;

  beforeAll(async () => {
    idp = await startOutpostIdp();
    portcullis = await discover(idp);
    otherApp = await discover(idp, client.ClientSecretBasic('other-app-dev-secret'), 'other-app');
  });
  afterAll(() => idp.close());

  async function exchange(config: client.Configuration, login: Awaited<ReturnType<typeof browserLogin>>) {
    return client.authorizationCodeGrant(config, login.callbackUrl, {
      pkceCodeVerifier: login.codeVerifier,
      expectedState: login.state,
      expectedNonce: login.nonce,
    });
  }

  /** A second application in the same browser: the session exists, so no login form. */
  async function silentLogin(config: client.Configuration, jar: CookieJar, redirectUri: string) {
    const start = await authorizationRequest(config, { redirectUri });
    const callbackUrl = new URL(location(await browse(jar, start.authUrl), start.authUrl));
    return exchange(config, { ...start, callbackUrl, jar });
  }

  it('puts the session\'s sid into code-flow ID and access tokens, and sessionIdsOf returns it', async () => {
    const login = await browserLogin(portcullis, alice);
    const tokens = await exchange(portcullis, login);
    const sid = tokens.claims()?.['sid'];
    expect(sid).toMatch(SHA256_HEX);
    expect(decodeJwt(tokens.access_token)['sid']).toBe(sid);
    expect(idp.sessionIdsOf('alice')).toContain(sid);

    const refreshed = await client.refreshTokenGrant(portcullis, tokens.refresh_token ?? '');
    expect(refreshed.claims()?.['sid']).toBe(sid);
    expect(decodeJwt(refreshed.access_token)['sid']).toBe(sid);
  });

  it('gives every application of one browser session the same sid, and a new session a new one', async () => {
    const login = await browserLogin(portcullis, alice);
    const first = (await exchange(portcullis, login)).claims()?.['sid'];
    const other = await silentLogin(otherApp, login.jar, 'http://other.localhost:9000/outpost.goauthentik.io/callback');
    expect(other.claims()?.['sid']).toBe(first);
    expect(decodeJwt(other.access_token)['sid']).toBe(first);

    const secondBrowser = (await exchange(portcullis, await browserLogin(portcullis, alice))).claims()?.['sid'];
    expect(secondBrowser).toMatch(SHA256_HEX);
    expect(secondBrowser).not.toBe(first);
    expect(idp.sessionIdsOf('alice')).toEqual(expect.arrayContaining([first, secondBrowser]));
    expect(idp.sessionIdsOf('bob')).toEqual([]);
  });

  it('leaves sid out of app-password tokens, which belong to no browser session', async () => {
    const tokens = await client.clientCredentialsGrant(portcullis, { username: 'alice', password: 'alice-app-password', scope: 'openid profile' });
    expect(decodeJwt(tokens.access_token)).not.toHaveProperty('sid');
    expect(tokens.claims()).not.toHaveProperty('sid');
  });

  it('names the same value in SESSION_END that the tokens carry', async () => {
    const tokens = await exchange(portcullis, await browserLogin(portcullis, alice));
    const sid = String(tokens.claims()?.['sid']);
    const socket = await OutpostSocket.open(idp);
    try {
      idp.outpost.endSession(sid);
      expect(await socket.receive(1)).toEqual([{ instruction: 4, args: { type: 'event.session.end', session_id: sid } }]);
    } finally {
      socket.ws.terminate();
    }
  });

  it('throws for an unknown user', () => {
    expect(() => idp.sessionIdsOf('nobody')).toThrow(expect.objectContaining({ code: 'PCL_DEVIDP_UNKNOWN_USER' }));
  });
});
