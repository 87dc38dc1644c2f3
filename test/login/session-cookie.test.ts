/**
 * The session cookie (DESIGN.md §6): `<id>.<mac>` bound to one application. Anything but the
 * exact cookie the gateway minted for this application is no session: browsers are sent to
 * log in, API clients get 401, and the upstream is never contacted. Flags: HttpOnly,
 * SameSite=Lax, Path=/, Secure exactly when externalHost is https.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setCookiesNamed, type Hop } from '../support/http-browser.js';
import { COOKIE_NAME, echoed, RESERVED, startLoginStack, upstreamCount, type LoginStack } from '../support/login-stack.js';

let stack: LoginStack;
let a: string;
let b: string;
let secure: string;
let cookieA: string;
let otherCookieA: string;
let login: Hop;

beforeAll(async () => {
  stack = await startLoginStack({ apps: [{ name: 'a' }, { name: 'b' }, { name: 'secure', externalHost: 'https://secure.localhost' }] });
  a = stack.origin('a');
  b = stack.origin('b');
  secure = stack.origin('secure');
  const first = await stack.login(stack.browser(), 'alice', { app: 'a' });
  cookieA = first.cookie;
  login = first.callback;
  otherCookieA = (await stack.login(stack.browser(), 'alice', { app: 'a' })).cookie;
});
afterAll(async () => {
  await stack?.close();
});

function replaceAt(text: string, at: number): string {
  const index = at < 0 ? text.length + at : at;
  const replacement = text[index] === 'A' ? 'B' : 'A';
  return `${text.slice(0, index)}${replacement}${text.slice(index + 1)}`;
}

async function asBrowser(origin: string, cookie: string): Promise<Hop> {
  return stack.browser().request(`${origin}/page?q=1`, { anonymous: true, headers: { cookie } });
}

async function asApiClient(origin: string, cookie: string): Promise<Hop> {
  return stack.browser().request(`${origin}/api/items`, { anonymous: true, accept: 'application/json', headers: { cookie } });
}

/** No session: a browser is sent to log in, an API client gets 401, the upstream sees nothing. */
async function expectNoSession(origin: string, cookie: string): Promise<void> {
  const before = upstreamCount(stack);
  const browser = await asBrowser(origin, cookie);
  expect(browser.status).toBe(302);
  expect(browser.location).toBe(`${origin}${RESERVED}/start?rd=${encodeURIComponent(`${origin}/page?q=1`)}`);
  const api = await asApiClient(origin, cookie);
  expect(api.status).toBe(401);
  expect(api.headers.get('www-authenticate')).toMatch(/realm=/);
  expect(upstreamCount(stack)).toBe(before);
}

describe('the session cookie', () => {
  it('carries the session on its own application (control)', async () => {
    expect(echoed(await asBrowser(a, `${COOKIE_NAME}=${cookieA}`)).headers['x-authentik-username']).toBe('alice');
    expect(echoed(await asApiClient(a, `${COOKIE_NAME}=${cookieA}`)).headers['x-authentik-username']).toBe('alice');
  });

  it.each([
    ['one character of the id flipped', (v: string) => replaceAt(v, 10)],
    ['the first character of the id flipped', (v: string) => replaceAt(v, 0)],
    ['one character of the MAC flipped', (v: string) => replaceAt(v, 60)],
    ['the last character of the MAC flipped', (v: string) => replaceAt(v, -1)],
    ['its last character cut off', (v: string) => v.slice(0, -1)],
    ['only its id', (v: string) => v.slice(0, v.indexOf('.'))],
    ['only its id and the dot', (v: string) => v.slice(0, v.indexOf('.') + 1)],
    ['a character appended', (v: string) => `${v}A`],
    ['id and MAC swapped', (v: string) => v.split('.').reverse().join('.')],
    ['the MAC of another session', (v: string) => `${v.slice(0, v.indexOf('.'))}${otherCookieA.slice(otherCookieA.indexOf('.'))}`],
    ['an empty value', () => ''],
  ])('is no session with %s', async (_name, tamper) => {
    await expectNoSession(a, `${COOKIE_NAME}=${tamper(cookieA)}`);
  });

  it('is no session on another application of the same gateway', async () => {
    await expectNoSession(b, `${COOKIE_NAME}=${cookieA}`);
    // ...and still one on its own.
    expect(echoed(await asApiClient(a, `${COOKIE_NAME}=${cookieA}`)).headers['x-authentik-username']).toBe('alice');
  });

  it('is no session when sent twice, as when another site planted a second one (cookie tossing)', async () => {
    await expectNoSession(a, `${COOKIE_NAME}=${cookieA}; ${COOKIE_NAME}=${otherCookieA}`);
    await expectNoSession(a, `${COOKIE_NAME}=${cookieA}; ${COOKIE_NAME}=${cookieA}`);
  });

  it('never reaches the upstream, while the other cookies do', async () => {
    const seen = echoed(await asBrowser(a, `theme=dark; ${COOKIE_NAME}=${cookieA}; lang=en`));
    expect(seen.headers['x-authentik-username']).toBe('alice');
    expect(seen.headers['cookie']).toBe('theme=dark; lang=en');
  });

  it('is HttpOnly, SameSite=Lax, Path=/, host-only and not Secure on an http application', () => {
    const [cookie] = setCookiesNamed(login, COOKIE_NAME);
    expect(cookie?.value).toBe(cookieA);
    expect(cookie?.attributes.get('path')).toBe('/');
    expect(cookie?.attributes.has('httponly')).toBe(true);
    expect(cookie?.attributes.get('samesite')).toBe('Lax');
    expect(cookie?.attributes.has('secure')).toBe(false);
    expect(cookie?.attributes.has('domain')).toBe(false);
    expect(Number(cookie?.attributes.get('max-age'))).toBeGreaterThan(0);
  });

  it('has a login-state companion with the same flags, short-lived, not Secure on http', async () => {
    const start = await stack.browser().request(`${a}${RESERVED}/start`);
    const [cookie, ...others] = start.setCookies.map((line) => line);
    expect(others).toEqual([]);
    expect(cookie).toMatch(new RegExp(`^${COOKIE_NAME}_login_[0-9a-f]+=`));
    const parsed = setCookiesNamed(start, cookie?.slice(0, cookie.indexOf('=')) ?? '')[0];
    expect(parsed?.attributes.get('path')).toBe('/');
    expect(parsed?.attributes.has('httponly')).toBe(true);
    expect(parsed?.attributes.get('samesite')).toBe('Lax');
    expect(parsed?.attributes.has('secure')).toBe(false);
    expect(Number(parsed?.attributes.get('max-age'))).toBeGreaterThan(0);
    expect(Number(parsed?.attributes.get('max-age'))).toBeLessThanOrEqual(600);
  });

  it('marks the login-state cookie Secure when externalHost is https', async () => {
    const start = await stack.browser().request(`${secure}${RESERVED}/start`);
    expect(start.status).toBe(302);
    expect(start.setCookies).toHaveLength(1);
    expect(start.setCookies[0]).toMatch(new RegExp(`^${COOKIE_NAME}_login_[0-9a-f]+=[^;]+; Path=/; .*HttpOnly; Secure; SameSite=Lax$`));
  });

  it('marks the session cookie Secure when externalHost is https, and expires it with the same flags', async () => {
    const browser = stack.browser();
    const result = await stack.login(browser, 'alice', { app: 'secure' });
    expect(echoed(result.final).headers['x-authentik-username']).toBe('alice');
    const [cookie] = setCookiesNamed(result.callback, COOKIE_NAME);
    expect(cookie?.secure).toBe(true);
    expect(cookie?.attributes.get('samesite')).toBe('Lax');
    expect(cookie?.attributes.has('httponly')).toBe(true);
    const signOut = await browser.request(`${secure}${RESERVED}/sign_out`);
    const [expired] = setCookiesNamed(signOut, COOKIE_NAME);
    expect(expired?.expired).toBe(true);
    expect(expired?.secure).toBe(true);
    expect(expired?.attributes.get('path')).toBe('/');
  });
});
