import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { packIdentity, unpackIdentity, type IdentityParts } from '../../src/sessions/index.js';

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

function jwt(claims: Record<string, unknown>): string {
  return `${b64({ alg: 'RS256', kid: 'k1', typ: 'JWT' })}.${b64(claims)}.${randomBytes(256).toString('base64url')}`;
}

const CLAIMS = {
  iss: 'https://idp.example/',
  sub: 'user-1',
  sid: 'idp-session-1',
  preferred_username: 'alice',
  email: 'alice@example.com',
  name: 'Alice Ëxample 李',
  groups: ['staff', 'admins'],
  entitlements: ['grafana-editor'],
  ak_proxy: { user_attributes: { app_username: 'alice-grafana', shell: '/bin/zsh', nested: { n: 1.5 } }, is_superuser: true },
  exp: 1_900_000_000,
};

function partsFrom(claims: typeof CLAIMS, token: string, overrides: Partial<IdentityParts> = {}): IdentityParts {
  return {
    sub: claims.sub,
    username: claims.preferred_username,
    email: claims.email,
    name: claims.name,
    groups: claims.groups,
    entitlements: claims.entitlements,
    attributes: claims.ak_proxy.user_attributes,
    claims,
    accessToken: token,
    tokenExpiresAt: 1_900_000_000_000,
    method: 'bearer',
    ...overrides,
  };
}

describe('packed identity', () => {
  it('gives back a JWT session as it was, without keeping the claims or attributes twice', () => {
    const token = jwt(CLAIMS);
    const parts = partsFrom(JSON.parse(JSON.stringify(CLAIMS)) as typeof CLAIMS, token);
    const packed = packIdentity(parts);
    expect(unpackIdentity(packed)).toEqual(parts);
    expect(unpackIdentity(packed).accessToken).toBe(token);
    // The token as bytes (no base64), its header shared, the claims and fields not repeated.
    expect(packed.bytes.length).toBeLessThan(token.length);
    expect(packed.bytes.split('alice-grafana')).toHaveLength(2); // once: in the token's payload
  });

  it('keeps the attributes a view into the claims, as identityFromClaims builds them', () => {
    const unpacked = unpackIdentity(packIdentity(partsFrom(CLAIMS, jwt(CLAIMS))));
    expect(unpacked.attributes).toBe((unpacked.claims['ak_proxy'] as Record<string, unknown>)['user_attributes']);
  });

  it('keeps claims that are not the token payload (introspection, an ID token forwarded after Basic)', () => {
    const parts = partsFrom(CLAIMS, jwt({ ...CLAIMS, aud: 'other' }), { idToken: jwt({ sub: 'user-1' }), refreshToken: 'opaque refresh token!' });
    expect(unpackIdentity(packIdentity(parts))).toEqual(parts);
  });

  it('keeps values that are not in the claims, and tokens that are no base64url segments', () => {
    const parts = partsFrom(CLAIMS, 'not a jwt: just text ü', {
      sub: 'someone-else',
      username: 'bob',
      groups: ['other'],
      attributes: { only: 'here' },
      idToken: 'aGk.AB', // "AB" is no canonical base64url: it would come back as "AA"
      tokenExpiresAt: Number.POSITIVE_INFINITY,
      method: 'session',
    });
    expect(unpackIdentity(packIdentity(parts))).toEqual(parts);
  });

  it('gives back claims with a __proto__ key as own data', () => {
    const claims = JSON.parse('{"sub":"u","__proto__":{"polluted":true},"groups":[],"ak_proxy":{"user_attributes":{}}}') as typeof CLAIMS;
    const parts = partsFrom(claims, jwt(claims), { username: 'u', email: '', name: '', entitlements: [], attributes: {} });
    const unpacked = unpackIdentity(packIdentity(parts));
    expect(JSON.stringify(unpacked.claims)).toBe(JSON.stringify(claims));
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});
