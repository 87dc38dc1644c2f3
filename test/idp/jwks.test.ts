/**
 * The key cache's rules, with a fake clock and a key-set endpoint in memory: who waits for
 * which fetch, what the cooldown holds back, and when a missing key is a verdict on the token
 * and when it is an outage (DESIGN.md §6, issue 19).
 */

import { describe, expect, it } from 'vitest';
import { errors, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { JwksCache } from '../../src/idp/index.js';
import { verifyWithKeySet } from '../../src/idp/signed-jwt.js';
import { isPortcullisError } from '../../src/errors/index.js';

const COOLDOWN = 30_000;
const MAX_AGE = 600_000;

interface SigningKey {
  readonly kid: string;
  readonly jwk: JWK;
  readonly sign: (withKid?: boolean) => Promise<string>;
}

async function signingKey(kid: string): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  return {
    kid,
    jwk,
    sign: (withKid = true) =>
      new SignJWT({ sub: 'alice' })
        .setProtectedHeader(withKid ? { alg: 'RS256', kid } : { alg: 'RS256' })
        .setIssuer('https://idp.test')
        .setAudience('portcullis')
        .setExpirationTime('5m')
        .sign(privateKey),
  };
}

/** A key-set endpoint in memory: what it publishes, whether it fails, how many times it was asked. */
class FakeEndpoint {
  keys: JWK[] = [];
  failing = false;
  calls = 0;
  #gate: Promise<void> | null = null;
  #open: (() => void) | null = null;

  /** Holds every answer until `release()`. */
  hold(): void {
    this.#gate = new Promise((resolve) => {
      this.#open = resolve;
    });
  }

  release(): void {
    this.#open?.();
    this.#gate = null;
  }

  /** Answers with the keys published when the request arrived, however long it is held. */
  readonly fetch = async (): Promise<Response> => {
    this.calls += 1;
    const keys = this.keys;
    const failing = this.failing;
    await this.#gate;
    if (failing) return new Response('down', { status: 503 });
    return Response.json({ keys });
  };
}

function cacheOn(endpoint: FakeEndpoint, clock: { now: number }, options: { cooldownMs?: number; maxAgeMs?: number } = {}): JwksCache {
  return new JwksCache({
    url: 'https://idp.test/jwks',
    timeoutMs: 1_000,
    cooldownMs: options.cooldownMs ?? COOLDOWN,
    maxAgeMs: options.maxAgeMs ?? MAX_AGE,
    now: () => clock.now,
    fetch: endpoint.fetch,
  });
}

function verify(cache: JwksCache, token: string): Promise<unknown> {
  return verifyWithKeySet(token, cache, { issuer: 'https://idp.test', audience: 'portcullis', algorithms: ['RS256'] });
}

async function outcome(promise: Promise<unknown>): Promise<'valid' | 'invalid' | 'unavailable'> {
  try {
    await promise;
    return 'valid';
  } catch (error) {
    if (isPortcullisError(error, 'PCL_IDP_UNAVAILABLE')) return 'unavailable';
    if (error instanceof errors.JOSEError) return 'invalid';
    throw error;
  }
}

/** An IdP publishing `old` (with `next` ready to rotate in) and a cache that has verified one old-key token. */
async function warmedUp(): Promise<{ old: SigningKey; next: SigningKey; endpoint: FakeEndpoint; clock: { now: number }; cache: JwksCache }> {
  const [old, next] = await Promise.all([signingKey('old'), signingKey('new')]);
  const endpoint = new FakeEndpoint();
  endpoint.keys = [old.jwk];
  const clock = { now: 1_000_000 };
  const cache = cacheOn(endpoint, clock);
  expect(await outcome(verify(cache, await old.sign()))).toBe('valid');
  return { old, next, endpoint, clock, cache };
}

describe('a token under a key the cached set lacks', () => {
  it('waits for one shared fetch, even right after the set was first fetched', async () => {
    const { next, endpoint, clock, cache } = await warmedUp();
    endpoint.keys = [next.jwk];
    clock.now += 10;
    const tokens = await Promise.all(Array.from({ length: 20 }, () => next.sign()));
    const results = await Promise.all(tokens.map((token) => outcome(verify(cache, token))));
    expect(results).toEqual(tokens.map(() => 'valid'));
    expect(endpoint.calls).toBe(2);
  });

  it('is invalid only once a successful fetch still lacks the key; later ones wait out the cooldown', async () => {
    const [old, forged] = await Promise.all([signingKey('old'), signingKey('made-up')]);
    const endpoint = new FakeEndpoint();
    endpoint.keys = [old.jwk];
    const clock = { now: 1_000_000 };
    const cache = cacheOn(endpoint, clock);
    expect(await outcome(verify(cache, await old.sign()))).toBe('valid');
    for (let i = 0; i < 50; i += 1) {
      expect(await outcome(verify(cache, await forged.sign()))).toBe('invalid');
      clock.now += 100;
    }
    // One fetch for the first key set, one for the first made-up kid, none for the other 49.
    expect(endpoint.calls).toBe(2);
    clock.now += COOLDOWN;
    expect(await outcome(verify(cache, await forged.sign()))).toBe('invalid');
    expect(endpoint.calls).toBe(3);
  });

  it('is an outage, never a verdict, while the fetch fails, and valid once the IdP is back', async () => {
    const { next, endpoint, cache } = await warmedUp();
    endpoint.keys = [next.jwk];
    endpoint.failing = true;
    const token = await next.sign();
    expect(await outcome(verify(cache, token))).toBe('unavailable');
    // A failure starts no cooldown: each try asks again (one fetch at a time), still an outage.
    expect(await outcome(verify(cache, token))).toBe('unavailable');
    expect(endpoint.calls).toBe(3);
    endpoint.failing = false;
    expect(await outcome(verify(cache, token))).toBe('valid');
  });

  it('keeps the last good set when a fetch fails: tokens under known keys stay valid', async () => {
    const old = await signingKey('old');
    const endpoint = new FakeEndpoint();
    endpoint.keys = [old.jwk];
    const clock = { now: 1_000_000 };
    const cache = cacheOn(endpoint, clock, { maxAgeMs: 1_000 });
    expect(await outcome(verify(cache, await old.sign()))).toBe('valid');
    endpoint.failing = true;
    clock.now += 5_000;
    expect(await outcome(verify(cache, await old.sign()))).toBe('valid');
    expect(await outcome(verify(cache, await old.sign()))).toBe('valid');
  });
});

describe('a stale key set', () => {
  it('is refreshed in the background, and a new-key token waits for that refresh instead of being refused', async () => {
    const { next, endpoint, clock, cache } = await warmedUp();
    clock.now += MAX_AGE + 1;
    endpoint.keys = [next.jwk];
    expect(await outcome(verify(cache, await next.sign()))).toBe('valid');
    expect(endpoint.calls).toBe(2);
  });

  it('does not use up the cooldown: a token whose key the background fetch missed gets a fetch of its own', async () => {
    const { old, next, endpoint, clock, cache } = await warmedUp();
    clock.now += MAX_AGE + 1;
    endpoint.hold();
    // A request under the old key starts the background refresh, which reads the old set...
    const background = outcome(verify(cache, await old.sign()));
    await Promise.resolve();
    // ...and the IdP publishes the new key while that fetch is still in flight.
    endpoint.keys = [next.jwk];
    const waiting = outcome(verify(cache, await next.sign()));
    endpoint.release();
    expect(await background).toBe('valid');
    expect(await waiting).toBe('valid');
    expect(endpoint.calls).toBe(3);
  });
});

describe('a token without kid', () => {
  it('whose signature no cached key verifies gets one fresh key set', async () => {
    const [old, next] = await Promise.all([signingKey('old'), signingKey('new')]);
    const endpoint = new FakeEndpoint();
    endpoint.keys = [old.jwk];
    const clock = { now: 1_000_000 };
    const cache = cacheOn(endpoint, clock);
    expect(await outcome(verify(cache, await old.sign(false)))).toBe('valid');
    endpoint.keys = [next.jwk];
    expect(await outcome(verify(cache, await next.sign(false)))).toBe('valid');
    expect(endpoint.calls).toBe(2);
    const forged = await signingKey('forged');
    expect(await outcome(verify(cache, await forged.sign(false)))).toBe('invalid');
    expect(endpoint.calls).toBe(2);
  });
});

describe('a token without kid while two keys are published (a rotation\'s overlap)', () => {
  it('is verified by whichever key signed it, and refused when neither did', async () => {
    const [old, next, forged] = await Promise.all([signingKey('old'), signingKey('new'), signingKey('forged')]);
    const endpoint = new FakeEndpoint();
    endpoint.keys = [old.jwk, next.jwk];
    const cache = cacheOn(endpoint, { now: 1_000_000 });
    expect(await outcome(verify(cache, await old.sign(false)))).toBe('valid');
    expect(await outcome(verify(cache, await next.sign(false)))).toBe('valid');
    expect(await outcome(verify(cache, await forged.sign(false)))).toBe('invalid');
  });
});

describe('the first key set', () => {
  it('is an outage when it cannot be fetched, and is fetched again on the next try', async () => {
    const old = await signingKey('old');
    const endpoint = new FakeEndpoint();
    endpoint.keys = [old.jwk];
    endpoint.failing = true;
    const clock = { now: 1_000_000 };
    const cache = cacheOn(endpoint, clock);
    expect(await outcome(verify(cache, await old.sign()))).toBe('unavailable');
    endpoint.failing = false;
    expect(await outcome(verify(cache, await old.sign()))).toBe('valid');
  });
});
