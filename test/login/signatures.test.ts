/**
 * authentik's query signatures (DESIGN.md §5): `?X-authentik-auth-callback=true` completes the
 * login on any path, `?X-authentik-logout=true` signs out on any path, in proxy mode and when
 * they reach a forward-auth decision through X-Forwarded-Uri / X-Original-URL. Neither is ever
 * forwarded to the application.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { setCookiesNamed } from '../support/http-browser.js';
import { COOKIE_NAME, startLoginStack, upstreamCount, type LoginStack } from '../support/login-stack.js';

let stack: LoginStack;
let origin: string;

beforeAll(async () => {
  stack = await startLoginStack({ apps: [{ name: 'app' }, { name: 'fwd', mode: 'forward_single' }] });
  origin = stack.origin('app');
});
afterAll(async () => {
  await stack?.close();
});

/** The callback URL the IdP sent the browser to, moved onto another path of the application. */
function onPath(callbackUrl: string, path: string): string {
  const url = new URL(callbackUrl);
  url.pathname = path;
  return url.href;
}

describe('in proxy mode', () => {
  it('completes the login on any path that carries the callback signature, never forwarding it', async () => {
    const browser = stack.browser();
    const login = await stack.authorize(browser, 'alice', { rd: '/dashboard' });
    const before = upstreamCount(stack);
    const callback = await browser.request(onPath(login.callbackUrl, '/some/app/page'));
    expect(callback.status).toBe(302);
    expect(callback.location).toBe(`${origin}/dashboard`);
    expect(setCookiesNamed(callback, COOKIE_NAME).filter((c) => !c.expired)).toHaveLength(1);
    expect(upstreamCount(stack)).toBe(before);
    expect((await browser.request(`${origin}/dashboard`)).status).toBe(200);
  });

  it('signs out on any path that carries the logout signature', async () => {
    const browser = stack.browser();
    await stack.login(browser, 'bob');
    const before = upstreamCount(stack);
    const out = await browser.request(`${origin}/settings?X-authentik-logout=true`);
    expect(out.status).toBe(302);
    expect(setCookiesNamed(out, COOKIE_NAME).some((c) => c.expired)).toBe(true);
    expect(upstreamCount(stack)).toBe(before);
    const after = await browser.request(`${origin}/settings`);
    expect(after.status).toBe(302);
    expect(after.location).toContain('/outpost.goauthentik.io/start');
  });

  it('ignores a signature that is not "true", and a look-alike name', async () => {
    const browser = stack.browser();
    await stack.login(browser, 'alice');
    for (const query of ['?X-authentik-logout=1', '?x-authentik-logout=true', '?X-authentik-logoutx=true']) {
      expect((await browser.request(`${origin}/page${query}`)).status).toBe(200);
    }
  });
});

describe('through a forward-auth decision', () => {
  const fwd = (): string => stack.origin('fwd');

  it('answers the callback itself (302 + session cookie) instead of letting the proxy forward it', async () => {
    const browser = stack.browser();
    const login = await stack.authorize(browser, 'alice', { app: 'fwd', rd: '/home' });
    const original = new URL(login.callbackUrl);
    const cookie = `${login.loginCookie.name}=${login.loginCookie.value}`;
    const res = await request(`http://127.0.0.1:${stack.port}/outpost.goauthentik.io/auth/traefik`, {
      headers: {
        host: original.host,
        cookie,
        'x-forwarded-proto': 'http',
        'x-forwarded-host': original.host,
        'x-forwarded-uri': `/any/path${original.search}`,
        'x-forwarded-method': 'GET',
      },
    });
    await res.body.dump();
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe(`${fwd()}/home`);
    const setCookie = [res.headers['set-cookie']].flat().join('\n');
    expect(setCookie).toContain(`${COOKIE_NAME}=`);
  });

  it('signs out through X-Original-URL (nginx)', async () => {
    const res = await request(`http://127.0.0.1:${stack.port}/outpost.goauthentik.io/auth/nginx`, {
      headers: { host: new URL(fwd()).host, 'x-original-url': `${fwd()}/x?X-authentik-logout=true` },
    });
    await res.body.dump();
    const setCookie = [res.headers['set-cookie']].flat().join('\n');
    expect(setCookie).toMatch(new RegExp(`${COOKIE_NAME}=;`));
  });
});
