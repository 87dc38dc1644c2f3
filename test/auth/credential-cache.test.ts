import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CredentialCache, type Identity } from '../../src/auth/index.js';

const SECRET = 'test-secret-that-is-at-least-32-bytes-long!';
const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

function identity(n: number, expiresAt = Date.now() + 3_600_000): Identity {
  const claims = { sub: `user-${n}`, preferred_username: `user${n}`, groups: ['staff'], ak_proxy: { user_attributes: { team: 'ops' } } };
  return Object.freeze({
    sub: claims.sub,
    username: claims.preferred_username,
    email: '',
    name: '',
    groups: Object.freeze([...claims.groups]),
    entitlements: Object.freeze([]),
    attributes: claims.ak_proxy.user_attributes,
    claims,
    token: `${b64({ alg: 'RS256' })}.${b64(claims)}.${Buffer.alloc(64, n).toString('base64url')}`,
    expiresAt,
    method: 'bearer',
  });
}

const COOKIE = `authentik_proxy_1234abcd=${'A'.repeat(43)}.${'B'.repeat(42)}w; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax`;

describe('CredentialCache', () => {
  it('keys by a secret-keyed hash of the credential, per scope, never the credential itself', () => {
    const cache = new CredentialCache({ secret: SECRET, ttlMs: 60_000, maxEntries: 10 });
    const key = cache.keyOf('grafana', 'basic\0alice:secret');
    expect(key).toHaveLength(32);
    expect(key).not.toContain('secret');
    expect(cache.keyOf('wiki', 'basic\0alice:secret')).not.toBe(key);
    expect(cache.keyOf('grafana', 'basic\0alice:secret')).toBe(key);
    // Keyed by the secret: without it, a key cannot be computed from a guessed credential.
    const other = new CredentialCache({ secret: `${SECRET}-other`, ttlMs: 60_000, maxEntries: 10 });
    expect(other.keyOf('grafana', 'basic\0alice:secret')).not.toBe(key);
    expect(key).not.toBe(createHash('sha256').update('grafana\nbasic\0alice:secret').digest('binary'));
  });

  it('hands back the same identity while warm, and an equal one once it is decoded again', () => {
    const cache = new CredentialCache({ secret: SECRET, ttlMs: 60_000, maxEntries: 10, warmEntries: 1 });
    const first = identity(1);
    cache.set('a', { identity: first, setCookie: COOKIE });
    expect(cache.get('a')?.identity).toBe(first);
    cache.set('b', { identity: identity(2), setCookie: null }); // takes the only warm place
    const again = cache.get('a');
    expect(again?.identity).not.toBe(first);
    expect(again?.identity).toEqual(first);
    expect(Object.isFrozen(again?.identity)).toBe(true);
    expect(again?.setCookie).toBe(COOKIE);
    expect(cache.get('a')?.identity).toBe(again?.identity);
    expect(cache.get('b')?.setCookie).toBeNull();
  });

  it('keeps an identity whose claims JSON cannot carry as it is', () => {
    const cache = new CredentialCache({ secret: SECRET, ttlMs: 60_000, maxEntries: 10, warmEntries: 1 });
    const odd = Object.freeze({ ...identity(1), claims: { sub: 'user-1', at: new Date(0) } });
    cache.set('a', { identity: odd, setCookie: 'odd cookie' });
    cache.set('b', { identity: identity(2), setCookie: null });
    cache.get('b');
    expect(cache.get('a')).toEqual({ identity: odd, setCookie: 'odd cookie' });
    expect(cache.get('a')?.identity).toBe(odd);
  });

  it('evicts the least recently used entry at its bound; a hit counts as use', () => {
    const cache = new CredentialCache({ secret: SECRET, ttlMs: 60_000, maxEntries: 3, warmEntries: 1 });
    for (const key of ['a', 'b', 'c']) cache.set(key, { identity: identity(key.charCodeAt(0)), setCookie: null });
    expect(cache.get('a')).toBeDefined();
    cache.set('d', { identity: identity(4), setCookie: null });
    expect(cache.size).toBe(3);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    cache.set('a', { identity: identity(5), setCookie: null }); // replacing is no new entry
    expect(cache.size).toBe(3);
    expect(cache.get('a')?.identity.sub).toBe('user-5');
  });

  it('forgets an entry at the earlier of the TTL and the token expiry', () => {
    let now = 1_000_000;
    const cache = new CredentialCache({ secret: SECRET, ttlMs: 60_000, maxEntries: 10, now: () => now });
    cache.set('ttl', { identity: identity(1, now + 3_600_000), setCookie: null });
    cache.set('token', { identity: identity(2, now + 1_000), setCookie: null });
    cache.set('expired', { identity: identity(3, now), setCookie: null });
    expect(cache.get('expired')).toBeUndefined();
    now += 1_000;
    expect(cache.get('token')).toBeUndefined();
    expect(cache.get('ttl')).toBeDefined();
    now += 59_000;
    expect(cache.get('ttl')).toBeUndefined();
    expect(cache.size).toBe(0);
  });
});
