/**
 * Two gateway replicas sharing one Redis share the failed-login counters: failures through
 * either count toward one limit, so adding replicas does not multiply an attacker's guesses.
 * Redis at REDIS_URL under a key prefix of this suite's own, deleted afterwards.
 */

import { afterAll, beforeAll, expect, it } from 'vitest';
import { PASSWORDS } from '../support/auth-stack.js';
import { describeNeeding } from '../support/real-parts.js';
import { deleteKeysUnder, keysUnder, newKeyPrefix, REDIS_URL, redisProblem } from '../support/redis.js';
import { startSecurityStack, tokenCallsDuring, type SecurityGateway, type SecurityStack } from '../support/security-stack.js';

const problem = await redisProblem();

describeNeeding('Redis', problem, 'failed-login limits across replicas', () => {
  const prefix = newKeyPrefix();
  let stack: SecurityStack;
  let a: SecurityGateway;
  let b: SecurityGateway;

  beforeAll(async () => {
    stack = await startSecurityStack();
    const top = `
sessions: { store: redis, redis: { url: "${REDIS_URL}", keyPrefix: "${prefix}" } }
limits: { failedLogins: { perUser: 3, perAddress: 5, window: "1h" } }`;
    a = await stack.gateway({ top });
    b = await stack.gateway({ top });
  });
  afterAll(async () => {
    await stack?.close();
    await deleteKeysUnder(REDIS_URL, prefix);
  });

  it('throttles a username on both replicas once the failures through both reach the limit', async () => {
    expect((await a.basic('bob', 'wrong-a1', '10.9.0.1')).status).toBe(401);
    expect((await a.basic('bob', 'wrong-a2', '10.9.0.2')).status).toBe(401);
    expect((await b.basic('bob', 'wrong-b1', '10.9.0.3')).status).toBe(401);
    const calls = await tokenCallsDuring(stack.idp, async () => {
      // b has seen one failure itself, a two: only the shared count says "three".
      expect((await b.basic('bob', 'wrong-b2', '10.9.0.4')).status).toBe(429);
      expect((await a.basic('bob', 'wrong-a3', '10.9.0.5')).status).toBe(429);
    });
    expect(calls).toBe(0);
  });

  it('throttles a client address on both replicas', async () => {
    for (let i = 0; i < 5; i += 1) {
      expect((await (i % 2 === 0 ? a : b).basic(`someone-${i}`, 'x', '198.51.100.99')).status).toBe(401);
    }
    const calls = await tokenCallsDuring(stack.idp, async () => {
      expect((await a.basic('someone-5', 'x', '198.51.100.99')).status).toBe(429);
      expect((await b.basic('someone-6', 'x', '198.51.100.99')).status).toBe(429);
    });
    expect(calls).toBe(0);
    // Successes on either replica are not failures.
    expect((await a.basic('alice', PASSWORDS.alice.cli, '198.51.100.100')).status).toBe(200);
    expect((await b.basic('alice', PASSWORDS.alice.cli, '198.51.100.100')).status).toBe(200);
  });

  it('keeps neither usernames nor addresses in Redis, only HMAC-named counters', async () => {
    const keys = await keysUnder(REDIS_URL, prefix);
    const counters = keys.filter((key) => key.startsWith(`${prefix}hit:`));
    expect(counters.length).toBeGreaterThan(0);
    for (const key of counters) {
      expect(key).toMatch(/^[^:]+:hit:\{login-(user|address):[A-Za-z0-9_-]{22}:[tc]\}$/);
    }
    expect(keys.join('\n')).not.toMatch(/bob|someone|198\.51\.100/);
  });
});
