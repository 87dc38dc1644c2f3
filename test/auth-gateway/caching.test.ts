/**
 * What header credentials cost the IdP: a checked credential is remembered, concurrent
 * identical checks share one IdP call, failures are not remembered as successes, and the
 * session cookie handed out with the first answer makes later requests free.
 */

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cookieNameFor } from '../../src/config/index.js';
import {
  accessTokenFor,
  basic,
  bearer,
  CHALLENGES,
  inBatches,
  lines,
  PASSWORDS,
  startAuthStack,
  type Answer,
  type AuthStack,
  type GatewayUnderTest,
} from '../support/auth-stack.js';

const REQUESTS = 1000;
const CONCURRENCY = 50;
const COOKIE_NAME = cookieNameFor('portcullis');

let stack: AuthStack;

beforeAll(async () => {
  stack = await startAuthStack();
});
afterAll(async () => {
  await stack?.close();
});
beforeEach(() => {
  stack.idp.resetCalls();
});

function usernamesOf(answers: readonly Answer[]): Set<unknown> {
  return new Set(answers.map((res) => res.upstream?.headers['x-authentik-username']));
}

/** The session cookie's `name=value` from a response, or undefined. */
function sessionCookie(res: Answer): string | undefined {
  const line = lines(res.headers, 'set-cookie').find((value) => value.startsWith(`${COOKIE_NAME}=`));
  return line?.split(';')[0];
}

describe('one credential, many requests', () => {
  it(`checks an app password at the IdP once for ${REQUESTS} requests, ${CONCURRENCY} at a time`, async () => {
    const authorization = basic('alice', PASSWORDS.alice.cli);
    const answers = await inBatches(REQUESTS, CONCURRENCY, () => stack.get('/', { authorization }));
    expect(answers.filter((res) => res.status === 200)).toHaveLength(REQUESTS);
    expect(answers.every((res) => res.upstream !== undefined && res.upstream.headers.authorization === undefined)).toBe(true);
    expect(usernamesOf(answers)).toEqual(new Set(['alice']));
    // The first batch arrives together: without coalescing it alone would cost 50 token calls.
    expect(stack.idp.calls('token')).toBe(1);
  });

  it(`validates a Bearer token for ${REQUESTS} requests without a token call and with at most one key-set fetch`, async () => {
    const token = await accessTokenFor(stack.idp, 'bob');
    stack.idp.resetCalls();
    const answers = await inBatches(REQUESTS, CONCURRENCY, () => stack.get('/', { authorization: bearer(token) }));
    expect(answers.filter((res) => res.status === 200)).toHaveLength(REQUESTS);
    expect(usernamesOf(answers)).toEqual(new Set(['bob']));
    expect(stack.idp.calls('token')).toBe(0);
    expect(stack.idp.calls('jwks')).toBeLessThanOrEqual(1);
  });

  it(`introspects a Bearer token once for ${REQUESTS} requests in introspection mode`, async () => {
    const introspecting = await stack.gateway({ app: 'identity: { bearer: { validation: introspection } }' });
    const token = await accessTokenFor(stack.idp, 'alice');
    stack.idp.resetCalls();
    const answers = await inBatches(REQUESTS, CONCURRENCY, () => introspecting.get('/', { authorization: bearer(token) }));
    expect(answers.filter((res) => res.status === 200)).toHaveLength(REQUESTS);
    expect(stack.idp.calls('introspection')).toBe(1);
  });
});

describe('failures are not remembered as successes', () => {
  it('refuses a wrong password every time, also while the right one is cached', async () => {
    expect((await stack.get('/', { authorization: basic('bob', PASSWORDS.bob.cli) })).status).toBe(200);
    const wrong = basic('bob', 'wrong-password');
    const answers = await inBatches(4, 2, () => stack.get('/', { authorization: wrong }));
    for (const res of answers) {
      expect(res.status).toBe(401);
      expect(lines(res.headers, 'www-authenticate')).toEqual([CHALLENGES.basic, CHALLENGES.bearer]);
      expect(res.upstream).toBeUndefined();
    }
    expect((await stack.get('/', { authorization: basic('bob', PASSWORDS.bob.cli) })).status).toBe(200);
  });

  it('remembers a refusal briefly, so a retried wrong password costs the IdP one call', async () => {
    const gateway = await stack.gateway();
    const wrong = basic('carol', 'not-her-password');
    for (let i = 0; i < 5; i++) {
      expect((await gateway.get('/', { authorization: wrong })).status).toBe(401);
    }
    expect(stack.idp.calls('token')).toBe(1);
  });

  it('does not let a cached password vouch for the same user with another password', async () => {
    const gateway = await stack.gateway();
    expect((await gateway.get('/', { authorization: basic('alice', PASSWORDS.alice.cli) })).status).toBe(200);
    const res = await gateway.get('/', { authorization: basic('alice', `${PASSWORDS.alice.cli}x`) });
    expect(res.status).toBe(401);
    expect(res.upstream).toBeUndefined();
  });
});

describe('the session cookie handed to scripts', () => {
  let gateway: GatewayUnderTest;

  beforeAll(async () => {
    // A gateway of its own: its credential cache is empty, so the first request really is the first.
    gateway = await stack.gateway();
  });

  it('is set on the first Basic answer and carries the same identity later, at no IdP cost', async () => {
    const first = await gateway.get('/', { authorization: basic('alice', PASSWORDS.alice.ci) });
    expect(first.status).toBe(200);
    const cookie = sessionCookie(first);
    expect(cookie).toMatch(/^authentik_proxy_[0-9a-f]{8}=./);
    const setCookie = lines(first.headers, 'set-cookie').find((line) => line.startsWith(`${COOKIE_NAME}=`));
    expect(setCookie).toMatch(/; HttpOnly/);
    expect(setCookie).toMatch(/; SameSite=Lax/);
    expect(setCookie).toMatch(/; Path=\//);

    stack.idp.resetCalls();
    const again = await gateway.get('/', { cookie: String(cookie) });
    expect(again.status).toBe(200);
    expect(stack.idp.calls()).toBe(0);
    for (const name of ['x-authentik-username', 'x-authentik-groups', 'x-authentik-email', 'x-authentik-uid', 'x-authentik-jwt']) {
      expect(again.upstream?.headers[name], name).toBe(first.upstream?.headers[name]);
    }
    expect(again.upstream?.headers['x-authentik-username']).toBe('alice');
  });

  it('never reaches the upstream, while the other cookies arrive byte for byte', async () => {
    const first = await gateway.get('/', { authorization: basic('bob', PASSWORDS.bob.cli), cookie: 'theme=dark;  lang=en-GB' });
    expect(first.upstream?.headers.cookie).toBe('theme=dark;  lang=en-GB');
    const cookie = String(sessionCookie(first));
    const spellings = [
      { sent: `theme=dark; ${cookie}; csrftoken="a b"; lang=en-GB`, forwarded: 'theme=dark; csrftoken="a b"; lang=en-GB' },
      { sent: `${cookie}; theme=dark;lang=en-GB`, forwarded: 'theme=dark;lang=en-GB' },
      { sent: `theme=dark;${cookie}`, forwarded: 'theme=dark' },
    ];
    for (const { sent, forwarded } of spellings) {
      const res = await gateway.get('/', { cookie: sent });
      expect(res.status, sent).toBe(200);
      expect(res.upstream?.headers['x-authentik-username'], sent).toBe('bob');
      expect(res.upstream?.headers.cookie, sent).toBe(forwarded);
    }
    const only = await gateway.get('/', { cookie });
    expect(only.status).toBe(200);
    expect(only.upstream?.headers.cookie).toBeUndefined();
    expect(JSON.stringify(only.upstream?.rawHeaders)).not.toContain(COOKIE_NAME);
  });

  it('is also handed out after a Bearer token', async () => {
    const token = await accessTokenFor(stack.idp, 'bob');
    const first = await gateway.get('/', { authorization: bearer(token) });
    const cookie = sessionCookie(first);
    expect(cookie).toBeDefined();
    stack.idp.resetCalls();
    const again = await gateway.get('/', { cookie: String(cookie) });
    expect(again.status).toBe(200);
    expect(again.upstream?.headers['x-authentik-username']).toBe('bob');
    expect(again.upstream?.headers['x-authentik-jwt']).toBe(token);
    expect(stack.idp.calls()).toBe(0);
  });
});
