/**
 * Where a browser lands after login (`rd`, DESIGN.md §5): only ever on the application.
 *
 * Every line of the open-redirect corpus is sent twice: percent-encoded (the value a link
 * would carry) and verbatim (the raw query a crafted link would carry, decoded once by the
 * server). All 1,118 go through `/start`, and the return target it seals into the login
 * cookie is opened (the test knows the secret) and checked. Then complete logins (`/start` →
 * the dev IdP → the gateway's callback, whose Location is checked) run for the first 60
 * payloads in both forms and for one payload of every distinct sealed target, so every
 * target the callback can be handed is exercised end to end. Logins after the first in each
 * browser are answered from the IdP's session (single sign-on): still a real authorization
 * and a real code exchange, without the login form.
 */

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginStateCodec } from '../../src/sessions/index.js';
import { TEST_SECRET } from '../support/gateway.js';
import { parseSetCookie, type HttpBrowser } from '../support/http-browser.js';
import { COOKIE_NAME, echoed, RESERVED, startLoginStack, type LoginStack } from '../support/login-stack.js';

const CORPUS = fileURLToPath(new URL('../../../shared/corpora/openredirects.txt', import.meta.url));
const PAYLOADS = readFileSync(CORPUS, 'utf8').replace(/\n$/, '').split('\n');
const BROWSERS = 4;
/** Payloads (each in both forms) that always go through a complete login. */
const END_TO_END_PAYLOADS = 60;
const codec = new LoginStateCodec(TEST_SECRET);

let stack: LoginStack;
let origin: string;

beforeAll(async () => {
  stack = await startLoginStack();
  origin = stack.origin();
});
afterAll(async () => {
  await stack?.close();
});

/** `/start?<query>` through the IdP's single sign-on to the callback; the callback's raw Location. */
async function returnTarget(browser: HttpBrowser, query: string): Promise<{ status: number; location: string | null }> {
  const walk = await browser.walk(`${origin}${RESERVED}/start${query}`, { until: (url) => url.pathname === `${RESERVED}/callback` });
  if (walk.stoppedAt === undefined) {
    throw new Error(`no callback for ${query}: ${walk.hops.map((h) => `${h.status} ${h.url}`).join(' -> ')}`);
  }
  const callback = await browser.request(walk.stoppedAt);
  return { status: callback.status, location: callback.headers.get('location') };
}

/** `/start?<query>` in a browser of its own: the return target sealed into the login cookie. */
async function sealedReturnTo(browser: HttpBrowser, query: string): Promise<string> {
  const start = await browser.request(`${origin}${RESERVED}/start${query}`, { anonymous: true });
  const state = start.location === null ? null : new URL(start.location).searchParams.get('state');
  const cookie = start.setCookies.map(parseSetCookie).find((c) => c.name.startsWith(`${COOKIE_NAME}_login_`));
  if (start.status !== 302 || state === null || cookie === undefined) throw new Error(`/start${query} answered ${start.status}`);
  const opened = codec.open('app', state, cookie.value, Date.now());
  if (opened === null) throw new Error(`/start${query} set a login cookie that does not open`);
  return opened.returnTo;
}

/** Why `location` would take the browser off the application, or null when it stays on it. */
function leavesApplication(location: string | null): string | null {
  if (location === null) return 'no Location';
  // Browsers drop tabs and newlines and read `\` as `/`: a Location must be a plain serialized URL.
  if (!/^[\x21-\x7e]+$/.test(location) || location.includes('\\')) return `not a plain URL: ${JSON.stringify(location)}`;
  if (!location.startsWith(`${origin}/`)) return `does not start with ${origin}/: ${location}`;
  return new URL(location).origin === origin ? null : `parses to origin ${new URL(location).origin}`;
}

describe('the return target after login', () => {
  it(`stays on the application for all ${PAYLOADS.length} open-redirect payloads, encoded and verbatim`, { timeout: 60_000 }, async () => {
    expect(PAYLOADS.length).toBeGreaterThanOrEqual(559);
    const cases = PAYLOADS.flatMap((payload) => [
      { payload, query: `?rd=${encodeURIComponent(payload)}`, form: 'encoded' },
      { payload, query: `?rd=${payload}`, form: 'verbatim' },
    ]);
    const failures: string[] = [];
    // 1. Every case through /start: the return target sealed into the login cookie.
    const byTarget = new Map<string, (typeof cases)[number]>();
    const probe = stack.browser();
    for (const item of cases) {
      const returnTo = await sealedReturnTo(probe, item.query);
      const problem = leavesApplication(returnTo);
      if (problem !== null) failures.push(`${item.form} ${JSON.stringify(item.payload)}: sealed ${problem}`);
      if (!byTarget.has(returnTo)) byTarget.set(returnTo, item);
    }
    // 2. Through real logins: the first payloads, and one payload for every distinct sealed target
    //    (the callback's answer is a function of the sealed state only).
    const endToEnd = [...new Set([...cases.slice(0, 2 * END_TO_END_PAYLOADS), ...byTarget.values()])];
    const browsers = await Promise.all(
      Array.from({ length: BROWSERS }, async () => {
        const browser = stack.browser();
        await stack.login(browser, 'alice');
        return browser;
      }),
    );
    let next = 0;
    let completed = 0;
    await Promise.all(
      browsers.map(async (browser) => {
        for (let i = next++; i < endToEnd.length; i = next++) {
          const { payload, query, form } = endToEnd[i] as (typeof cases)[number];
          const { status, location } = await returnTarget(browser, query);
          const problem = status === 302 ? leavesApplication(location) : `callback answered ${status}`;
          if (problem !== null) failures.push(`${form} ${JSON.stringify(payload)}: ${problem}`);
          completed += 1;
        }
      }),
    );
    expect(completed).toBe(endToEnd.length);
    expect(completed).toBeGreaterThanOrEqual(2 * END_TO_END_PAYLOADS);
    expect(failures).toEqual([]);
  });

  it.each([
    ['a userinfo trick', (o: string) => `${o}@evil.example/`],
    ['a longer host name', (o: string) => `${o}.evil.example/`],
    ['another scheme', (o: string) => o.replace(/^http:/, 'https:') + '/'],
    ['another port', (o: string) => `${o.replace(/:\d+$/, '')}:${Number(new URL(o).port) + 1}/`],
    ['the same server under another host name', (o: string) => `http://127.0.0.1:${new URL(o).port}/`],
    ['a trailing-dot host name', (o: string) => `http://${new URL(o).hostname}.:${new URL(o).port}/x`],
    ['javascript:', () => 'javascript:alert(document.cookie)'],
    ['data:', () => 'data:text/html,<script>alert(1)</script>'],
  ])('sends the browser to the application root for %s', async (_name, rd) => {
    const browser = stack.browser();
    await stack.login(browser, 'alice');
    const { status, location } = await returnTarget(browser, `?rd=${encodeURIComponent(rd(origin))}`);
    expect(status).toBe(302);
    expect(location).toBe(`${origin}/`);
  });

  it('honours a target on the application, query included', async () => {
    const browser = stack.browser();
    await stack.login(browser, 'alice');
    const target = `${origin}/reports/q3?sort=desc&page=2&q=a%20b&empty=`;
    expect(await returnTarget(browser, `?rd=${encodeURIComponent(target)}`)).toEqual({ status: 302, location: target });
  });

  it('honours a path on the application, query included, as an absolute URL on the application', async () => {
    const browser = stack.browser();
    await stack.login(browser, 'alice');
    expect(await returnTarget(browser, `?rd=${encodeURIComponent('/reports/q3?sort=desc&x=%2F')}`)).toEqual({
      status: 302,
      location: `${origin}/reports/q3?sort=desc&x=%2F`,
    });
  });

  it('honours the application under a differently cased host name', async () => {
    const browser = stack.browser();
    await stack.login(browser, 'alice');
    const upper = `http://${new URL(origin).hostname.toUpperCase()}:${new URL(origin).port}/Case?Q=1`;
    expect(await returnTarget(browser, `?rd=${encodeURIComponent(upper)}`)).toEqual({ status: 302, location: `${origin}/Case?Q=1` });
  });

  it.each([2_000, 3_000, 4_000, 4_096])('keeps the login cookie storable by browsers (4096 bytes) for a %i-character target', async (length) => {
    const prefix = `${origin}/deep?q=`;
    const target = `${prefix}${'x'.repeat(length - prefix.length)}`;
    const browser = stack.browser();
    await stack.login(browser, 'alice');
    const walk = await browser.walk(`${origin}${RESERVED}/start?rd=${encodeURIComponent(target)}`, { until: (url) => url.pathname === `${RESERVED}/callback` });
    const [loginCookie] = walk.hops[0]?.setCookies ?? [];
    expect(loginCookie?.length).toBeLessThanOrEqual(4096);
    const callback = await browser.request(walk.stoppedAt ?? '');
    expect(callback.status).toBe(302);
    // Kept when it fits, else the application root: never a login that cannot complete.
    expect([target, `${origin}/`]).toContain(callback.headers.get('location'));
    if (length <= 2_000) expect(callback.headers.get('location')).toBe(target);
  });

  it('goes to the application root without rd', async () => {
    const browser = stack.browser();
    await stack.login(browser, 'alice');
    expect(await returnTarget(browser, '')).toEqual({ status: 302, location: `${origin}/` });
  });

  it('brings a browser back to the protected page it first asked for, query included', async () => {
    const browser = stack.browser();
    const result = await stack.login(browser, 'alice', { path: '/private/page?x=1&y=%C3%A9&z=a+b' });
    expect(result.callback.headers.get('location')).toBe(`${origin}/private/page?x=1&y=%C3%A9&z=a+b`);
    expect(echoed(result.final).url).toBe('/private/page?x=1&y=%C3%A9&z=a+b');
  });
});
