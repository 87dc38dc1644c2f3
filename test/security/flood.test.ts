/**
 * A flood of distinct invalid credentials keeps everything bounded: IdP calls (by the
 * per-address limit), the remembered refusals (by `cache.maxCredentials`) and the limiter's
 * counters in the memory store (by the store's own bound). Sizes are asserted, not timings.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginThrottle } from '../../src/auth/index.js';
import { MemorySessionStore } from '../../src/sessions/index.js';
import { inBatches } from '../support/auth-stack.js';
import { startSecurityStack, tokenCallsDuring, type SecurityGateway, type SecurityStack } from '../support/security-stack.js';

const FLOOD = 5_000;
const STORE_BOUND = 1_000;
const PER_ADDRESS = 50;
const MAX_CREDENTIALS = 20;

describe('a flood of 5,000 distinct invalid usernames from one address', () => {
  let stack: SecurityStack;
  let gw: SecurityGateway;
  let store: MemorySessionStore;
  let statuses: number[];
  let idpCalls: number;

  beforeAll(async () => {
    stack = await startSecurityStack();
    store = new MemorySessionStore({ lifetimeMs: 3_600_000, maxSessions: STORE_BOUND, sweepIntervalMs: 0 });
    gw = await stack.gateway({
      sessionStore: store,
      top: `cache: { maxCredentials: ${MAX_CREDENTIALS} }\nlimits: { failedLogins: { perUser: 5, perAddress: ${PER_ADDRESS}, window: "1h" } }`,
    });
    idpCalls = await tokenCallsDuring(stack.idp, async () => {
      statuses = await inBatches(FLOOD, 50, async (i) => (await gw.basic(`flood-user-${i}`, `flood-password-${i}`, '203.0.113.50')).status);
    });
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  it('lets only the per-address allowance reach the IdP and answers the rest 429', () => {
    expect(idpCalls).toBeLessThanOrEqual(PER_ADDRESS);
    expect(statuses.filter((s) => s === 401).length).toBe(idpCalls);
    expect(statuses.filter((s) => s === 429).length).toBe(FLOOD - idpCalls);
  });

  it('keeps the remembered refusals within cache.maxCredentials and remembers no identity', () => {
    expect(gw.gateway.credentials.refusals).toBeLessThanOrEqual(MAX_CREDENTIALS);
    expect(gw.gateway.credentials.size).toBe(0);
  });

  it('keeps the limiter state small: a throttled address does not create counters for the names it tries', () => {
    const { counters, sessions } = store.stats();
    // Two counters per subject: the address, and each username that was actually checked.
    expect(counters).toBeLessThanOrEqual(2 * (1 + PER_ADDRESS));
    expect(sessions).toBe(0);
  });

  it('still serves another address meanwhile', async () => {
    expect((await gw.basic('bob', 'bob-app-password', '203.0.113.51')).status).toBe(200);
  });
});

describe('the limiter over the memory store', () => {
  it('stays within the store bound for 5,000 distinct usernames from 5,000 distinct addresses', async () => {
    const store = new MemorySessionStore({ lifetimeMs: 3_600_000, maxSessions: STORE_BOUND, sweepIntervalMs: 0 });
    const throttle = new LoginThrottle({
      store,
      secret: 'a-secret-of-at-least-thirty-two-bytes!!',
      limits: { perUser: 5, perAddress: 5, windowMs: 60_000 },
      storeRetryAfterSeconds: 2,
    });
    for (let i = 0; i < FLOOD; i += 1) {
      const admission = await throttle.admit('https://idp.test/', `user-${i}`, `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
      expect(admission.ok).toBe(true);
    }
    expect(store.stats().counters).toBeLessThanOrEqual(STORE_BOUND);
    await store.close();
  });
});
