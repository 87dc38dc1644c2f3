/**
 * The IdP's signing keys as the gateway follows them: a rotation is picked up on the first
 * token with the new kid, a kept previous key keeps its tokens valid, and a JWKS endpoint that
 * fails after the keys were fetched does not take valid tokens down with it.
 */

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { accessTokenFor, bearer, CHALLENGES, lines, sleep, startAuthStack, type AuthStack } from '../support/auth-stack.js';

// Short cooldown so an unknown kid may trigger a fetch right away in each step.
const JWKS_COOLDOWN_MS = 100;

let stack: AuthStack;

beforeAll(async () => {
  stack = await startAuthStack({ top: 'cache: { jwksCooldown: "100ms" }' });
});
afterAll(async () => {
  await stack?.close();
});
beforeEach(() => {
  stack.idp.clearFaults();
  stack.idp.resetCalls();
});

async function statusWith(token: string): Promise<number> {
  const res = await stack.get('/', { authorization: bearer(token) });
  if (res.status === 401) {
    expect(lines(res.headers, 'www-authenticate')).toContain(CHALLENGES.invalidBearer);
  }
  expect(res.upstream === undefined).toBe(res.status !== 200);
  return res.status;
}

describe('key rotation', () => {
  it('validates tokens signed with a new kid after a rotation, fetching the key set once', async () => {
    expect(await statusWith(await accessTokenFor(stack.idp, 'alice'))).toBe(200);
    const unusedOld = await accessTokenFor(stack.idp, 'bob');
    await stack.idp.rotateKeys();
    await sleep(JWKS_COOLDOWN_MS + 20);
    const fresh = await accessTokenFor(stack.idp, 'alice');
    stack.idp.resetCalls();
    expect(await statusWith(fresh)).toBe(200);
    expect(stack.idp.calls('jwks')).toBe(1);
    // The replaced key was dropped from the JWKS: a token it signed, never seen before, is refused.
    await sleep(JWKS_COOLDOWN_MS + 20);
    expect(await statusWith(unusedOld)).toBe(401);
  });

  it('keeps validating tokens of the previous key while the IdP still publishes it (keepPrevious)', async () => {
    const seenOld = await accessTokenFor(stack.idp, 'alice');
    const unseenOld = await accessTokenFor(stack.idp, 'bob');
    expect(await statusWith(seenOld)).toBe(200);
    await stack.idp.rotateKeys({ keepPrevious: true });
    await sleep(JWKS_COOLDOWN_MS + 20);
    expect(await statusWith(await accessTokenFor(stack.idp, 'alice'))).toBe(200);
    // Never checked before, so the credential cache cannot answer for it: the refreshed key set does.
    expect(await statusWith(unseenOld)).toBe(200);
  });
});

describe('a failing JWKS endpoint', () => {
  it('keeps the last good keys: tokens with a known kid still validate', async () => {
    expect(await statusWith(await accessTokenFor(stack.idp, 'alice'))).toBe(200);
    const unseen = [await accessTokenFor(stack.idp, 'alice'), await accessTokenFor(stack.idp, 'bob')];
    stack.idp.failEndpoint('jwks', 500);
    stack.idp.resetCalls();
    for (const token of unseen) {
      expect(await statusWith(token)).toBe(200);
    }
    expect(stack.idp.calls('token')).toBe(0);
  });

  it('keeps the last good keys when a background refresh fails (jwksMaxAge passed)', async () => {
    const gateway = await stack.gateway({ top: 'cache: { jwksCooldown: "50ms", jwksMaxAge: "50ms" }' });
    const first = await gateway.get('/', { authorization: bearer(await accessTokenFor(stack.idp, 'alice')) });
    expect(first.status).toBe(200);
    const later = [await accessTokenFor(stack.idp, 'alice'), await accessTokenFor(stack.idp, 'bob')];
    stack.idp.failEndpoint('jwks', 503);
    stack.idp.resetCalls();
    for (const token of later) {
      await sleep(80);
      const res = await gateway.get('/', { authorization: bearer(token) });
      expect(res.status).toBe(200);
    }
    // The stale key set was refreshed (and failed) in the background, without failing requests.
    expect(stack.idp.calls('jwks')).toBeGreaterThanOrEqual(1);
  });
});
