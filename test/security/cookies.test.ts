/**
 * Cookie tampering beyond test/login/session-cookie.test.ts (flipped, truncated and swapped
 * values, a cookie of another application, the cookie twice in one line) and
 * test/upstream/identity-headers.test.ts (what the upstream gets of the Cookie header): big
 * cookies, the session cookie repeated over several Cookie lines (sent over raw TCP, where a
 * client library would merge them), and near-miss names. A cookie that is not exactly one
 * valid session cookie is no session: a challenge or the login redirect, never an error, and
 * the upstream is not contacted.
 */

import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cookieNameFor } from '../../src/config/index.js';
import { basic, lines, PASSWORDS, receivedWithTag, startAuthStack, TAG_HEADER, type AuthStack } from '../support/auth-stack.js';
import { exchange, finals, message } from './wire.js';

const COOKIE = cookieNameFor('portcullis');

let stack: AuthStack;
/** alice's session cookie value, as handed to her after a Basic login. */
let session: string;
/** bob's. */
let otherSession: string;

async function sessionOf(username: 'alice' | 'bob'): Promise<string> {
  const res = await stack.get('/', { authorization: basic(username, PASSWORDS[username].cli) });
  const line = lines(res.headers, 'set-cookie').find((l) => l.startsWith(`${COOKIE}=`));
  if (line === undefined) throw new Error(`no session cookie for ${username}`);
  return (line.split(';')[0] as string).slice(COOKIE.length + 1);
}

beforeAll(async () => {
  stack = await startAuthStack();
  session = await sessionOf('alice');
  otherSession = await sessionOf('bob');
});
afterAll(async () => {
  await stack?.close();
});

/** Sends Cookie lines exactly as given (API client: no redirect); the status and whether the upstream saw it. */
async function withCookieLines(cookieLines: readonly string[], accept = 'application/json'): Promise<{ status: number; upstream: ReturnType<typeof receivedWithTag> }> {
  const tag = randomUUID();
  const wire = await exchange(stack.gw.port, message(['GET /private HTTP/1.1', 'Host: app.test', `${TAG_HEADER}: ${tag}`, `Accept: ${accept}`, ...cookieLines.map((c) => `Cookie: ${c}`), 'Connection: close']));
  return { status: finals(wire)[0]?.status ?? 0, upstream: receivedWithTag(stack.echo, tag) };
}

function expectNoSession(result: { status: number; upstream: unknown }, status = 401): void {
  expect(result.status).toBe(status);
  expect(result.upstream).toBeUndefined();
}

it('the session cookie alone, in one line, is a session (control)', async () => {
  const result = await withCookieLines([`${COOKIE}=${session}`]);
  expect(result.status).toBe(200);
  expect(result.upstream?.headers['x-authentik-username']).toBe('alice');
});

describe('big cookies', () => {
  it('a 4 KiB session cookie of garbage: no session, for an API client and for a browser', async () => {
    const garbage = randomBytes(3072).toString('base64url');
    expect(garbage.length).toBe(4096);
    expectNoSession(await withCookieLines([`${COOKIE}=${garbage}`]));
    expectNoSession(await withCookieLines([`${COOKIE}=${garbage}`], 'text/html'), 302);
  });

  it('a 4 KiB session cookie made of a valid one and padding: no session', async () => {
    expectNoSession(await withCookieLines([`${COOKIE}=${session}${'A'.repeat(4096 - session.length)}`]));
    expectNoSession(await withCookieLines([`${COOKIE}=${session}.${'A'.repeat(4000)}`]));
  });

  it('a valid session next to a 4 KiB cookie of the application: allowed, and that cookie reaches the upstream byte for byte', async () => {
    const big = `app_state=${randomBytes(3066).toString('base64url')}`;
    const result = await withCookieLines([`${big}; ${COOKIE}=${session}`]);
    expect(result.status).toBe(200);
    expect(result.upstream?.headers.cookie).toBe(big);
  });

  it('a valid session among 300 small cookies: allowed, the others passed on in order', async () => {
    const crowd = Array.from({ length: 300 }, (_, i) => `c${i}=${i}`);
    const result = await withCookieLines([[...crowd.slice(0, 150), `${COOKIE}=${session}`, ...crowd.slice(150)].join('; ')]);
    expect(result.status).toBe(200);
    expect(result.upstream?.headers.cookie).toBe(crowd.join('; '));
  });
});

describe('the session cookie repeated over several Cookie lines', () => {
  it.each([
    ['valid, then forged', () => [`${COOKIE}=${session}`, `${COOKIE}=forged.value`]],
    ['forged, then valid', () => [`${COOKIE}=forged.value`, `${COOKIE}=${session}`]],
    ['valid twice', () => [`${COOKIE}=${session}`, `${COOKIE}=${session}`]],
    ["alice's, then bob's", () => [`${COOKIE}=${session}`, `${COOKIE}=${otherSession}`]],
    ['valid, then empty', () => [`${COOKIE}=${session}`, `${COOKIE}=`]],
    ['valid among other cookies, then again in the next line', () => [`a=1; ${COOKIE}=${session}; b=2`, `c=3; ${COOKIE}=${session}`]],
  ])('%s: no session', async (_name, cookieLines) => {
    expectNoSession(await withCookieLines(cookieLines()));
  });

  it('the session cookie in one line and other cookies in another: a session', async () => {
    const result = await withCookieLines(['theme=dark', `${COOKIE}=${session}`]);
    expect(result.status).toBe(200);
    expect(result.upstream?.headers['x-authentik-username']).toBe('alice');
  });
});

describe('near-miss names', () => {
  it.each([
    ['in upper case', () => `${COOKIE.toUpperCase()}=${session}`],
    ['with a prefix', () => `x${COOKIE}=${session}`],
    ['with a suffix', () => `${COOKIE}x=${session}`],
    ['as __Host- cookie', () => `__Host-${COOKIE}=${session}`],
    ['with the value quoted', () => `${COOKIE}="${session}"`],
    ['with the value percent-encoded', () => `${COOKIE}=${encodeURIComponent(session).replace(/\./g, '%2E')}`],
  ])('the session cookie %s is no session', async (_name, cookie) => {
    expectNoSession(await withCookieLines([cookie()]));
  });
});
