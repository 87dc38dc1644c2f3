/**
 * Issue "Hardening", item 2: failed Basic logins are limited per username and per client
 * address over a sliding window; past a limit the answer is 429 + Retry-After and the IdP is
 * not asked. A credential already known good is never limited. Real sockets, real dev IdP.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySessionStore, SessionStoreUnavailableError } from '../../src/sessions/index.js';
import { PASSWORDS } from '../support/auth-stack.js';
import { FORWARD_HOST, startSecurityStack, tokenCallsDuring, type SecurityGateway, type SecurityStack } from '../support/security-stack.js';

const HOUR = 3600;

let stack: SecurityStack;

beforeAll(async () => {
  stack = await startSecurityStack();
});
afterAll(async () => {
  await stack?.close();
});

function expectThrottled(reply: { status: number; headers: Record<string, unknown>; text: string }, retryAfter: number): void {
  expect(reply.status, reply.text).toBe(429);
  expect(reply.headers['retry-after']).toBe(String(retryAfter));
  expect(JSON.parse(reply.text)).toEqual({ error: 'too_many_requests', message: expect.stringMatching(/too many failed sign-in attempts/i) });
  expect(reply.headers['www-authenticate']).toBeUndefined();
}

describe('per username', () => {
  let gw: SecurityGateway;
  beforeAll(async () => {
    gw = await stack.gateway({ top: 'limits: { failedLogins: { perUser: 3, perAddress: 0, window: "1h" } }' });
  });

  it('refuses the attempt after the third failure with 429 + Retry-After, without asking the IdP', async () => {
    const failures = await tokenCallsDuring(stack.idp, async () => {
      for (const [i, client] of ['10.1.0.1', '10.1.0.2', '10.1.0.3'].entries()) {
        expect((await gw.basic('bob', `wrong-${i}`, client)).status).toBe(401);
      }
    });
    expect(failures).toBe(3);
    const throttled = await tokenCallsDuring(stack.idp, async () => {
      expectThrottled(await gw.basic('bob', 'wrong-3', '10.1.0.4'), HOUR);
      // The real password is a new guess too: new logins for bob wait.
      expectThrottled(await gw.basic('bob', PASSWORDS.bob.cli, '10.1.0.5'), HOUR);
    });
    expect(throttled).toBe(0);
  });

  it('counts the spellings an IdP may treat as one account as one username', async () => {
    for (const [i, name] of ['carol', 'Carol', ' CAROL '].entries()) {
      expect((await gw.basic(name, `wrong-${i}`)).status).toBe(401);
    }
    expect(await tokenCallsDuring(stack.idp, async () => expectThrottled(await gw.basic('ｃａｒｏｌ', 'wrong-x'), HOUR))).toBe(0);
  });

  it('keeps letting a credential already known good through while its user is throttled', async () => {
    expect((await gw.basic('alice', PASSWORDS.alice.cli)).status).toBe(200);
    for (let i = 0; i < 3; i += 1) {
      expect((await gw.basic('alice', `guess-${i}`, `10.2.0.${i}`)).status).toBe(401);
    }
    expectThrottled(await gw.basic('alice', 'guess-3'), HOUR);
    const calls = await tokenCallsDuring(stack.idp, async () => {
      const known = await gw.basic('alice', PASSWORDS.alice.cli);
      expect(known.status).toBe(200);
      expect(JSON.parse(known.text).headers['x-authentik-username']).toBe('alice');
    });
    expect(calls).toBe(0);
    // A password never checked before is a new attempt, and waits like any other.
    expectThrottled(await gw.basic('alice', PASSWORDS.alice.ci), HOUR);
  });

  it('does not count parallel guesses past the limit: exactly the allowance reaches the IdP', async () => {
    const guesses = Array.from({ length: 20 }, (_, i) => i);
    let statuses: number[] = [];
    const calls = await tokenCallsDuring(stack.idp, async () => {
      statuses = (await Promise.all(guesses.map((i) => gw.basic('dave', `parallel-${i}`, `10.3.0.${i}`)))).map((r) => r.status);
    });
    expect(calls).toBe(3);
    expect(statuses.filter((s) => s === 401)).toHaveLength(3);
    expect(statuses.filter((s) => s === 429)).toHaveLength(17);
  });

  it('counts only failures: good passwords checked again and again are never throttled', async () => {
    const uncached = await stack.gateway({ top: 'cache: { maxCredentials: 0 }\nlimits: { failedLogins: { perUser: 2, perAddress: 2, window: "1h" } }' });
    const calls = await tokenCallsDuring(stack.idp, async () => {
      for (let i = 0; i < 6; i += 1) {
        expect((await uncached.basic('bob', PASSWORDS.bob.cli)).status).toBe(200);
      }
    });
    expect(calls).toBe(6);
  });

  it('does not count an IdP outage as failures', async () => {
    const gw2 = await stack.gateway({ top: 'limits: { failedLogins: { perUser: 2, perAddress: 2, window: "1h" } }' });
    stack.idp.failEndpoint('token', 503);
    try {
      for (let i = 0; i < 4; i += 1) {
        const reply = await gw2.basic('erin', `during-outage-${i}`);
        expect(reply.status).toBe(503);
        expect(reply.headers['retry-after']).toBe('5');
      }
    } finally {
      stack.idp.clearFaults();
    }
    expect((await gw2.basic('erin', 'after-1')).status).toBe(401);
    expect((await gw2.basic('erin', 'after-2')).status).toBe(401);
    expectThrottled(await gw2.basic('erin', 'after-3'), HOUR);
  });
});

describe('per client address', () => {
  let gw: SecurityGateway;
  beforeAll(async () => {
    gw = await stack.gateway({ top: 'limits: { failedLogins: { perUser: 0, perAddress: 4, window: "10m" } }' });
  });

  it('refuses a fifth failure from one address, whatever the username, and still serves other addresses', async () => {
    for (let i = 0; i < 4; i += 1) {
      expect((await gw.basic(`nobody-${i}`, 'x', '192.0.2.10')).status).toBe(401);
    }
    const calls = await tokenCallsDuring(stack.idp, async () => {
      expectThrottled(await gw.basic('nobody-5', 'x', '192.0.2.10'), 600);
      expectThrottled(await gw.basic('bob', PASSWORDS.bob.cli, '192.0.2.10'), 600);
    });
    expect(calls).toBe(0);
    expect(await tokenCallsDuring(stack.idp, async () => expect((await gw.basic('nobody-6', 'x', '192.0.2.11')).status).toBe(401))).toBe(1);
  });

  it('counts an IPv6 client per /64 and an IPv4-mapped one as its IPv4 address', async () => {
    for (let i = 1; i <= 4; i += 1) {
      expect((await gw.basic(`v6-${i}`, 'x', `2001:db8:1:2::${i}`)).status).toBe(401);
    }
    expectThrottled(await gw.basic('v6-5', 'x', '2001:db8:1:2:ffff::9'), 600);
    expect((await gw.basic('v6-6', 'x', '2001:db8:1:3::1')).status).toBe(401);

    for (let i = 1; i <= 4; i += 1) {
      expect((await gw.basic(`mapped-${i}`, 'x', i % 2 === 0 ? '198.51.100.7' : '::ffff:198.51.100.7')).status).toBe(401);
    }
    expectThrottled(await gw.basic('mapped-5', 'x', '198.51.100.7'), 600);
  });

  it('believes X-Forwarded-For only from trustedProxies', async () => {
    const strict = await stack.gateway({ top: 'trustedProxies: []\nlimits: { failedLogins: { perUser: 0, perAddress: 2, window: "10m" } }' });
    // Each request claims another address, but the peer (loopback) is what counts.
    expect((await strict.basic('spoof-1', 'x', '203.0.113.1')).status).toBe(401);
    expect((await strict.basic('spoof-2', 'x', '203.0.113.2')).status).toBe(401);
    expectThrottled(await strict.basic('spoof-3', 'x', '203.0.113.3'), 600);
  });
});

describe('forward auth', () => {
  let gw: SecurityGateway;
  beforeAll(async () => {
    gw = await stack.gateway({ top: 'limits: { failedLogins: { perUser: 1, perAddress: 0, window: "2m" } }' });
    expect((await gw.basic('frank', 'first-guess')).status).toBe(401);
  });

  const authorization = `Basic ${Buffer.from('frank:second-guess').toString('base64')}`;

  it('answers Traefik and Caddy with the 429 itself', async () => {
    const reply = await gw.send('/outpost.goauthentik.io/auth/traefik', {
      host: FORWARD_HOST,
      headers: {
        authorization,
        'x-forwarded-proto': 'http',
        'x-forwarded-host': FORWARD_HOST,
        'x-forwarded-uri': '/x',
        'x-forwarded-method': 'GET',
      },
    });
    expectThrottled(reply, 120);
  });

  it('answers nginx, which relays only 2xx, 401 and 403, with a 401 + Retry-After and no login URL', async () => {
    const reply = await gw.send('/outpost.goauthentik.io/auth/nginx', {
      host: FORWARD_HOST,
      headers: { authorization, 'x-original-url': `http://${FORWARD_HOST}/x`, 'x-original-method': 'GET' },
    });
    expect(reply.status, reply.text).toBe(401);
    expect(reply.headers['retry-after']).toBe('120');
    expect(reply.headers['x-portcullis-login']).toBeUndefined();
    expect(reply.headers['www-authenticate']).not.toMatch(/invalid_token/);
    expect(JSON.parse(reply.text).error).toBe('too_many_requests');
  });

  it('answers Envoy, which takes a 5xx for "allow" but relays a 4xx, with the 429', async () => {
    const reply = await gw.send('/outpost.goauthentik.io/auth/envoy/x', { host: FORWARD_HOST, headers: { authorization } });
    expectThrottled(reply, 120);
  });
});

describe('when the session store cannot count', () => {
  /** A memory store whose counters are down, as Redis is when it does not answer. */
  class CountersDown extends MemorySessionStore {
    override async hit(): Promise<number> {
      throw new SessionStoreUnavailableError('hit');
    }
  }

  it('fails closed: 503 + Retry-After for an attempt that would reach the IdP, which is not asked', async () => {
    const gw = await stack.gateway({ sessionStore: new CountersDown({ lifetimeMs: 3_600_000, sweepIntervalMs: 0 }) });
    const calls = await tokenCallsDuring(stack.idp, async () => {
      const reply = await gw.basic('bob', PASSWORDS.bob.cli);
      expect(reply.status).toBe(503);
      expect(reply.headers['retry-after']).toBe('2');
      expect(JSON.parse(reply.text).error).toBe('service_unavailable');
    });
    expect(calls).toBe(0);
    expect(gw.logs()).toContain('failed-login limits: the session store did not answer');
    expect(gw.logs()).not.toContain('bob');
  });
});
