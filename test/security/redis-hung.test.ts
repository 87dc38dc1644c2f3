/**
 * A hung Redis (SIGSTOP: connections stay open, nothing answers) under `sessions.store: redis`,
 * through the gateway. test/login/redis-outage.test.ts covers Redis killed and restarted (503,
 * then recovery, sessions lost with the process) and test/sessions/redis-outage.test.ts the
 * store's own fail-fast on a hung server; this is the gateway's side of the hang: bounded 503s
 * with Retry-After for whoever needs a session (never a login redirect, never a hang), no harm
 * to whoever does not, and the same sessions back once Redis answers, without a restart.
 */

import { afterAll, beforeAll, expect, it } from 'vitest';
import { cookieNameFor } from '../../src/config/index.js';
import { basic, inBatches, lines, PASSWORDS, startAuthStack, type Answer, type AuthStack } from '../support/auth-stack.js';
import { describeNeeding, executableProblem, REDIS_SERVER_PATH } from '../support/real-parts.js';
import { newKeyPrefix } from '../support/redis.js';
import { pollUntil } from '../support/wait.js';
import { startRedisServer, type RedisServer } from '../sessions/redis-support.js';

/** The store's command timeout (1 s by default) plus room for a busy two-core machine. */
const BOUND_MS = 1000 + 2500;
const COOKIE = cookieNameFor('portcullis');
const BROWSER = 'text/html,application/xhtml+xml';

const missing = await executableProblem(REDIS_SERVER_PATH);

describeNeeding('redis-server', missing, 'a hung Redis (SIGSTOP)', () => {
  let redis: RedisServer;
  let stack: AuthStack;
  let session: string;

  beforeAll(async () => {
    redis = await startRedisServer();
    stack = await startAuthStack({ top: `sessions: { store: redis, redis: { url: "${redis.url}", keyPrefix: "${newKeyPrefix()}" } }` });
    const login = await stack.get('/', { authorization: basic('alice', PASSWORDS.alice.cli) });
    expect(login.status).toBe(200);
    session = String(lines(login.headers, 'set-cookie').find((l) => l.startsWith(`${COOKIE}=`))?.split(';')[0]);
  });
  afterAll(async () => {
    redis?.resume();
    await stack?.close();
    await redis?.stop();
  });

  function expectUnavailable(res: Answer): void {
    expect(res.status).toBe(503);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(res.headers.location).toBeUndefined();
    expect(res.upstream).toBeUndefined();
    expect(res.ms).toBeLessThan(BOUND_MS);
  }

  it('answers session holders with 503 + Retry-After within the bound, browsers included, ten at once', async () => {
    redis.pause();
    try {
      const answers = await inBatches(10, 10, (i) => stack.get('/', { cookie: session, ...(i % 2 === 0 ? { accept: BROWSER } : {}) }));
      for (const res of answers) expectUnavailable(res);
    } finally {
      redis.resume();
    }
  });

  it('does not hold up requests that need no session: the challenge and the login redirect come at once', async () => {
    redis.pause();
    try {
      const api = await stack.get('/');
      expect(api.status).toBe(401);
      const browser = await stack.get('/', { accept: BROWSER });
      expect(browser.status).toBe(302);
      // Well inside the store's timeout: these never asked it.
      expect(Math.max(api.ms, browser.ms)).toBeLessThan(BOUND_MS);
    } finally {
      redis.resume();
    }
  });

  it('lets a remembered app password through at once; a new one is answered within the bound, never as a wrong password', async () => {
    redis.pause();
    try {
      const remembered = await stack.get('/', { authorization: basic('alice', PASSWORDS.alice.cli) });
      expect(remembered.status).toBe(200);
      expect(remembered.ms).toBeLessThan(BOUND_MS);
      // Its session cannot be stored (nor, with failed-login limits, its attempt counted).
      const fresh = await stack.get('/', { authorization: basic('bob', PASSWORDS.bob.cli) });
      expect([200, 503]).toContain(fresh.status);
      expect(fresh.ms).toBeLessThan(BOUND_MS);
    } finally {
      redis.resume();
    }
  });

  it('serves the same session again once Redis answers, without a restart', async () => {
    redis.pause();
    expectUnavailable(await stack.get('/', { cookie: session }));
    redis.resume();
    await pollUntil('the session is served again', async () => (await stack.get('/', { cookie: session })).status === 200, { timeoutMs: 10_000, intervalMs: 100 });
    const res = await stack.get('/', { cookie: session });
    expect(res.upstream?.headers['x-authentik-username']).toBe('alice');
  });
});
