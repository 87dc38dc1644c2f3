/**
 * The browser login flow end to end in headless Chromium (DESIGN.md §9): an unauthenticated
 * page load is sent to the dev IdP's login form, the form leads back through the callback to
 * the page first asked for, sign-out ends at the IdP's end-session (whose confirmation page
 * submits itself), and afterwards the application asks for a login again.
 *
 * The application is `http://app.localhost:<port>`: Chromium resolves `*.localhost` to
 * loopback by itself, and the IdP lives on another host name (127.0.0.1), as in a deployment.
 */

import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CHROMIUM_PATH, describeNeeding, executableProblem } from '../support/real-parts.js';
import { COOKIE_NAME, RESERVED, startLoginStack, type LoginStack } from '../support/login-stack.js';

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const chromiumMissing = await executableProblem(CHROMIUM_PATH);

describeNeeding('Chromium', chromiumMissing, 'the login flow in Chromium', () => {
  let stack: LoginStack;
  let browser: Browser;
  let app: string;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startLoginStack(), chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS })]);
    app = stack.origin();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('logs in through the IdP form, reaches the page, signs out at the IdP and has to log in again', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      page.setDefaultTimeout(10_000);

      await page.goto(`${app}/private/page?x=1&y=two`);
      expect(page.url().startsWith(`${stack.idp.issuer}/interaction/`)).toBe(true);
      await page.fill('input[name="username"]', 'alice');
      await page.fill('input[name="password"]', 'alice-password');
      await Promise.all([page.waitForURL(`${app}/private/page?x=1&y=two`), page.click('button[type="submit"]')]);

      const seen = JSON.parse((await page.textContent('body')) ?? '') as { url: string; headers: Record<string, string | undefined> };
      expect(seen.url).toBe('/private/page?x=1&y=two');
      expect(seen.headers['x-authentik-username']).toBe('alice');
      expect(seen.headers['x-authentik-email']).toBe('alice@example.com');
      // The session cookie never reaches the upstream.
      expect(seen.headers['cookie'] ?? '').not.toContain(COOKIE_NAME);

      const [session, ...others] = (await context.cookies(app)).filter((c) => c.name.startsWith(COOKIE_NAME));
      expect(others.map((c) => c.name)).toEqual([]); // the login-state cookie is spent
      expect(session).toMatchObject({ name: COOKIE_NAME, path: '/', httpOnly: true, secure: false, sameSite: 'Lax', domain: 'app.localhost' });

      // RP-initiated logout with post_logout_redirect_uri: the IdP ends its session and sends the
      // browser back to the application, which, signed out, sends it to the IdP's login form.
      await page.goto(`${app}${RESERVED}/sign_out`);
      await page.waitForURL((url) => url.href.startsWith(`${stack.idp.issuer}/interaction/`));
      expect(await page.isVisible('input[name="password"]')).toBe(true);
      expect((await context.cookies(app)).filter((c) => c.name === COOKIE_NAME)).toEqual([]);
      expect(stack.idp.calls('end_session')).toBeGreaterThanOrEqual(2); // the confirmation page and its own submission

      await page.goto(`${app}/private/page?x=1&y=two`);
      expect(page.url().startsWith(`${stack.idp.issuer}/interaction/`)).toBe(true);
      expect(await page.isVisible('input[name="password"]')).toBe(true);
    } finally {
      await context.close();
    }
  });

  it('completes a login started from a deep link too long to carry through it (a dashboard URL)', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      page.setDefaultTimeout(10_000);
      // Dashboards (Kibana, Grafana) put their whole state in the query: a few kilobytes are common.
      const deepPath = `/app/dashboards?_g=${'(filters:!(),refreshInterval:(pause:!t,value:0),time:(from:now-15m,to:now))'.repeat(40)}`;
      const deepLink = `${app}${deepPath}`;
      expect(deepLink.length).toBeGreaterThan(3000);
      expect(deepLink.length).toBeLessThan(4096);
      await page.goto(deepLink);
      expect(page.url().startsWith(`${stack.idp.issuer}/interaction/`)).toBe(true);
      await page.fill('input[name="username"]', 'alice');
      await page.fill('input[name="password"]', 'alice-password');
      await Promise.all([page.waitForURL((url) => url.origin === app), page.click('button[type="submit"]')]);
      const text = (await page.textContent('body')) ?? '';
      expect(text).not.toMatch(/login failed|expired or was started in another browser/i);
      const seen = JSON.parse(text) as { url: string; headers: Record<string, string | undefined> };
      expect(seen.headers['x-authentik-username']).toBe('alice');
      // Chromium keeps at most 4096 bytes of a cookie; the gateway falls back to the root rather than fail.
      expect(['/', deepPath]).toContain(seen.url);
    } finally {
      await context.close();
    }
  });
});
