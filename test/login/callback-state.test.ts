/**
 * The callback only completes the login this browser started (DESIGN.md §5): state bound to
 * the browser by the sealed login cookie, the code spent once. Every refusal is a 400 page,
 * sets no session cookie, contacts no upstream and redirects nowhere.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setCookiesNamed, type Hop, type HttpBrowser } from '../support/http-browser.js';
import { COOKIE_NAME, echoed, RESERVED, startLoginStack, upstreamCount, type LoginStack } from '../support/login-stack.js';

let stack: LoginStack;
let origin: string;

beforeAll(async () => {
  stack = await startLoginStack();
  origin = stack.origin();
});
afterAll(async () => {
  await stack?.close();
});

function flipOneCharacter(text: string): string {
  const at = Math.floor(text.length / 2);
  const replacement = text[at] === 'A' ? 'B' : 'A';
  return `${text.slice(0, at)}${replacement}${text.slice(at + 1)}`;
}

function withParam(url: string, name: string, value: string): string {
  const changed = new URL(url);
  changed.searchParams.set(name, value);
  return changed.href;
}

/** A refused callback: 400 page, no redirect, no session cookie, upstream untouched. */
async function expectRefused(browser: HttpBrowser, send: () => Promise<Hop>): Promise<Hop> {
  const before = upstreamCount(stack);
  const hop = await send();
  expect(hop.status, hop.body).toBe(400);
  expect(hop.location).toBeNull();
  expect(hop.headers.get('content-type')).toMatch(/^text\/html/);
  expect(hop.headers.get('cache-control')).toBe('no-store');
  expect(setCookiesNamed(hop, COOKIE_NAME).filter((c) => !c.expired)).toEqual([]);
  expect(upstreamCount(stack)).toBe(before);
  // The browser is still signed out: the application sends it to log in.
  const page = await browser.request(`${origin}/after`);
  expect(page.status).toBe(302);
  expect(page.location?.startsWith(`${origin}${RESERVED}/start?rd=`)).toBe(true);
  expect(upstreamCount(stack)).toBe(before);
  return hop;
}

describe('the login callback', () => {
  it('completes the login the browser started (control)', async () => {
    const browser = stack.browser();
    const login = await stack.authorize(browser, 'alice', { rd: '/dashboard' });
    const callback = await browser.request(login.callbackUrl);
    expect(callback.status).toBe(302);
    expect(callback.location).toBe(`${origin}/dashboard`);
    expect(setCookiesNamed(callback, COOKIE_NAME).filter((c) => !c.expired)).toHaveLength(1);
    // The login cookie is spent.
    expect(setCookiesNamed(callback, login.loginCookie.name)[0]?.expired).toBe(true);
    expect(echoed(await browser.request(`${origin}/dashboard`)).headers['x-authentik-username']).toBe('alice');
  });

  it('refuses a callback whose state was tampered with', async () => {
    const browser = stack.browser();
    const login = await stack.authorize(browser, 'alice');
    const state = new URL(login.callbackUrl).searchParams.get('state') ?? '';
    await expectRefused(browser, () => browser.request(withParam(login.callbackUrl, 'state', flipOneCharacter(state))));
  });

  it('refuses a callback without state', async () => {
    const browser = stack.browser();
    const login = await stack.authorize(browser, 'alice');
    const url = new URL(login.callbackUrl);
    url.searchParams.delete('state');
    await expectRefused(browser, () => browser.request(url.href));
  });

  it('refuses a callback in a browser that did not start the login', async () => {
    const victim = stack.browser();
    const login = await stack.authorize(victim, 'alice');
    const other = stack.browser();
    await expectRefused(other, () => other.request(login.callbackUrl));
  });

  it('refuses a callback carrying the login cookie of another login', async () => {
    const browser = stack.browser();
    const first = await stack.authorize(browser, 'alice');
    const second = await stack.authorize(browser, 'alice');
    expect(second.loginCookie.name).not.toBe(first.loginCookie.name);
    // The first login's cookie name with the second login's sealed value.
    browser.deleteCookie(origin, second.loginCookie.name);
    browser.setCookie(origin, first.loginCookie.name, second.loginCookie.value);
    await expectRefused(browser, () => browser.request(first.callbackUrl));
  });

  it("refuses the code of one login presented with the other login's state", async () => {
    const browser = stack.browser();
    const first = await stack.authorize(browser, 'alice');
    const second = await stack.authorize(browser, 'alice');
    const secondState = new URL(second.callbackUrl).searchParams.get('state') ?? '';
    // Both login cookies are present; the state opens the second one, whose PKCE verifier does not fit the first code.
    await expectRefused(browser, () => browser.request(withParam(first.callbackUrl, 'state', secondState)));
  });

  it('refuses a replayed callback (same code), even with the login cookie put back', async () => {
    const browser = stack.browser();
    const login = await stack.authorize(browser, 'alice');
    const first = await browser.request(login.callbackUrl);
    expect(first.status).toBe(302);
    const attacker = stack.browser();
    attacker.setCookie(origin, login.loginCookie.name, login.loginCookie.value);
    const tokenCalls = stack.idp.calls('token');
    await expectRefused(attacker, () => attacker.request(login.callbackUrl));
    // The login state was spent by the first callback: the IdP is not even asked.
    expect(stack.idp.calls('token')).toBe(tokenCalls);
    browser.setCookie(origin, login.loginCookie.name, login.loginCookie.value);
    const replay = await browser.request(login.callbackUrl);
    expect(replay.status).toBe(400);
    expect(setCookiesNamed(replay, COOKIE_NAME).filter((c) => !c.expired)).toEqual([]);
  });

  it('refuses a callback whose issuer was changed (RFC 9207)', async () => {
    const browser = stack.browser();
    const login = await stack.authorize(browser, 'alice');
    await expectRefused(browser, () => browser.request(withParam(login.callbackUrl, 'iss', 'http://127.0.0.1:9/evil')));
  });

  it('refuses a callback without a code', async () => {
    const browser = stack.browser();
    const login = await stack.authorize(browser, 'alice');
    const url = new URL(login.callbackUrl);
    url.searchParams.delete('code');
    await expectRefused(browser, () => browser.request(url.href));
  });

  it('shows an IdP error as a 400 page naming the error code only, without a redirect loop', async () => {
    const browser = stack.browser();
    const login = await stack.authorize(browser, 'alice');
    const state = new URL(login.callbackUrl).searchParams.get('state') ?? '';
    const description = '<script>alert("owned")</script> & \'more\'';
    const query = new URLSearchParams({ error: 'access_denied', error_description: description, state });
    const hop = await expectRefused(browser, () => browser.request(`${origin}${RESERVED}/callback?X-authentik-auth-callback=true&${query}`));
    expect(hop.body).not.toContain('<script>');
    expect(hop.body).toContain('access_denied');
    // error_description is whatever text whoever sent the browser here chose: never shown.
    expect(hop.body).not.toContain('owned');
    // The login cookie of that attempt is cleared.
    expect(setCookiesNamed(hop, login.loginCookie.name)[0]?.expired).toBe(true);
  });

  it('shows an IdP error without state as a 400 page too', async () => {
    const browser = stack.browser();
    const query = new URLSearchParams({ error: '<img src=x onerror=alert(1)>', error_description: '"><svg onload=alert(1)>' });
    const hop = await expectRefused(browser, () => browser.request(`${origin}${RESERVED}/callback?${query}`));
    expect(hop.body).not.toMatch(/<img|<svg/);
  });
});
