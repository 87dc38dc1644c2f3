/**
 * A failed login takes as long for a username that exists as for one that does not, so the
 * response time does not tell an attacker which accounts exist. The IdP's password check
 * dominates (the dev IdP checks a decoy hash for unknown users, as authentik does); Portcullis
 * must add nothing that differs: it never learns whether a user exists and counts every
 * failure the same way. Medians of interleaved samples, with a generous tolerance (another
 * process may be using the machine).
 */

import { afterAll, beforeAll, expect, it } from 'vitest';
import { median, startSecurityStack, type SecurityGateway, type SecurityStack } from '../support/security-stack.js';

const SAMPLES = 15;

let stack: SecurityStack;
let gw: SecurityGateway;

beforeAll(async () => {
  stack = await startSecurityStack();
  // Limits well above the samples, so every attempt goes the whole way to the IdP.
  gw = await stack.gateway({ top: 'limits: { failedLogins: { perUser: 1000, perAddress: 1000, window: "1h" } }' });
});
afterAll(async () => {
  await stack?.close();
});

async function timedFailure(username: string, password: string): Promise<number> {
  const started = performance.now();
  const reply = await gw.basic(username, password);
  const ms = performance.now() - started;
  expect(reply.status).toBe(401);
  expect(JSON.parse(reply.text)).toEqual({ error: 'unauthorized', message: 'The credentials were not accepted.' });
  return ms;
}

it('answers a wrong password for an existing user and any password for an unknown user in the same time', async () => {
  // Warm up both paths (JIT, connection pools, the IdP's decoy hash).
  await timedFailure('bob', 'warm-up');
  await timedFailure('no-such-user', 'warm-up');
  const existing: number[] = [];
  const unknown: number[] = [];
  for (let i = 0; i < SAMPLES; i += 1) {
    // Interleaved, and a fresh password each time: a repeated one is answered from memory.
    existing.push(await timedFailure('bob', `timing-${i}`));
    unknown.push(await timedFailure(`no-such-user-${i}`, `timing-${i}`));
  }
  const [a, b] = [median(existing), median(unknown)];
  console.info(`failure latency medians: existing user ${a.toFixed(1)} ms, unknown user ${b.toFixed(1)} ms`);
  // Same work on both paths: the medians agree within 50 % of the slower one, or 15 ms.
  expect(Math.abs(a - b)).toBeLessThanOrEqual(Math.max(15, 0.5 * Math.max(a, b)));
});
