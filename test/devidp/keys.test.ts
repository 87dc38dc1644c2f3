import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { DevIdp } from '../../src/devidp/index.js';
import { appPasswordGrant, CLIENT_ID, codeFlowTokens, discover, fetchJwks, startTestIdp } from './support.js';

describe('signing keys', () => {
  let idp: DevIdp;
  let config: client.Configuration;

  beforeEach(async () => {
    idp = await startTestIdp();
    config = await discover(idp);
  });
  afterEach(() => idp.close());

  const jwks = () => fetchJwks(`${idp.url}/jwks`);
  const kidOf = (token: string) => decodeProtectedHeader(token).kid;

  it('publishes one RS256 public key and signs access and ID tokens with it', async () => {
    const { keys } = await jwks();
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: idp.keyIds()[0] });
    expect(keys[0]).not.toHaveProperty('d');
    const tokens = await appPasswordGrant(config, 'alice', 'alice-app-password');
    expect(kidOf(tokens.access_token)).toBe(idp.keyIds()[0]);
    expect(kidOf(tokens.id_token ?? '')).toBe(idp.keyIds()[0]);
  });

  it('signs with a new kid after rotation and drops the old key from the JWKS', async () => {
    const before = await appPasswordGrant(config, 'alice', 'alice-app-password');
    const oldKid = idp.keyIds()[0];
    await idp.rotateKeys();
    const newKid = idp.keyIds()[0];
    expect(newKid).not.toBe(oldKid);
    expect((await jwks()).keys.map((k) => k.kid)).toEqual([newKid]);

    const fresh = await discover(idp);
    const after = await appPasswordGrant(fresh, 'alice', 'alice-app-password');
    expect(kidOf(after.access_token)).toBe(newKid);
    await expect(jwtVerify(after.access_token, createLocalJWKSet(await jwks()), { issuer: idp.issuer, audience: CLIENT_ID })).resolves.toBeDefined();
    // The old token's key is gone, so it no longer introspects as active.
    expect(await client.tokenIntrospection(fresh, before.access_token)).toEqual({ active: false });
  });

  it('keeps the previous key published with keepPrevious, new key first', async () => {
    const before = await appPasswordGrant(config, 'alice', 'alice-app-password');
    const oldKid = idp.keyIds()[0];
    await idp.rotateKeys({ keepPrevious: true });
    const kids = (await jwks()).keys.map((k) => k.kid);
    expect(kids).toEqual([idp.keyIds()[0], oldKid]);
    expect(await client.tokenIntrospection(config, before.access_token)).toMatchObject({ active: true });
    const after = await appPasswordGrant(config, 'alice', 'alice-app-password');
    expect(kidOf(after.access_token)).toBe(kids[0]);
    expect(kidOf(after.id_token ?? '')).toBe(kids[0]);
  });

  it('keeps sessions and refresh tokens across a rotation', async () => {
    const tokens = await codeFlowTokens(config, { username: 'alice', password: 'alice-password' });
    await idp.rotateKeys();
    const fresh = await discover(idp);
    const refreshed = await client.refreshTokenGrant(fresh, tokens.refresh_token ?? '');
    expect(kidOf(refreshed.access_token)).toBe(idp.keyIds()[0]);
    expect(refreshed.claims()?.['preferred_username']).toBe('alice');
  });

  it('signs arbitrary payloads for negative tests, with the current key or a foreign one', async () => {
    const set = createLocalJWKSet(await jwks());
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: idp.issuer, aud: 'someone-else', sub: 'x', iat: now, exp: now + 60 };
    const own = await idp.signJwt(claims);
    await expect(jwtVerify(own, set, { issuer: idp.issuer, audience: 'someone-else' })).resolves.toBeDefined();
    await expect(jwtVerify(own, set, { audience: CLIENT_ID })).rejects.toMatchObject({ code: 'ERR_JWT_CLAIM_VALIDATION_FAILED' });
    const foreign = await idp.signJwt(claims, { foreignKey: true });
    expect(kidOf(foreign)).toBe(idp.keyIds()[0]);
    await expect(jwtVerify(foreign, set)).rejects.toMatchObject({ code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
  });
});
