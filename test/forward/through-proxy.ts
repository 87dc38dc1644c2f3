/**
 * Forward auth end to end through a real reverse proxy (nginx or Caddy) running the README's
 * snippet: browser logins through the development IdP, Basic and Bearer callers, API
 * clients, policy denial, an IdP outage, forward_domain across two hosts, and the spoofing
 * attempts a client can make through the proxy.
 *
 * Every host name (`single.nginx.localhost`, `a.nginx-domain.localhost`, …) resolves to
 * 127.0.0.1 in the test browser (domain-browser.ts), which also keeps Domain cookies the way
 * a browser does.
 */

import { afterAll, beforeAll, expect, it } from 'vitest';
import { cookieNameFor } from '../../src/config/index.js';
import { DomainBrowser, type Step } from '../support/domain-browser.js';
import { formAction } from '../support/http-browser.js';
import { rawRequest } from '../support/raw-http.js';
import { describeNeeding } from '../support/real-parts.js';
import type { RunningProxy } from '../support/reverse-proxies.js';
import { freePort } from '../support/wait.js';
import type { Addresses } from './snippets.js';
import { accessToken, ADMINS_ONLY_POLICY, ALICE, APP_PASSWORDS, basic, echoed, startForwardStack, UNREACHABLE_ISSUER, type ForwardStack } from './stack.js';

export interface ProxyUnderTest {
  readonly name: 'nginx' | 'caddy';
  /** The decision endpoint this proxy's snippet calls. */
  readonly endpoint: string;
  start(addresses: Addresses, port: number): Promise<RunningProxy>;
  /**
   * Whether the session cookie Portcullis hands to a Basic/Bearer caller on a 200 reaches the
   * client: nginx relays it (`auth_request_set` + `add_header`); Caddy's forward_auth copies
   * headers of a 2xx onto the request only, so the caller keeps authenticating by header.
   */
  readonly relaysCookieOnAllow: boolean;
}

const COOKIE = cookieNameFor('portcullis');
const API = { accept: 'application/json' };

export function proxySuite(proxy: ProxyUnderTest, missing: string | null): void {
  describeNeeding(proxy.name, missing, `forward auth through ${proxy.name}`, () => {
    let stack: ForwardStack;
    let running: RunningProxy | undefined;
    let port: number;
    const origin = (host: string): string => `http://${host}:${port}`;
    const single = (): string => origin(`single.${proxy.name}.localhost`);
    const domain = `${proxy.name}-domain.localhost`;

    beforeAll(async () => {
      port = await freePort();
      stack = await startForwardStack({
        externalHosts: [single(), origin(`admins.${proxy.name}.localhost`), origin(`auth.${domain}`)],
        policies: { 'admins.yaml': ADMINS_ONLY_POLICY },
        applications: `
- name: single
  externalHost: "${single()}"
  mode: forward_single
  skipPathRegex: ["^/public/"]
- name: admins
  externalHost: "${origin(`admins.${proxy.name}.localhost`)}"
  mode: forward_single
  policies: { bindings: [{ policy: admins-only }] }
- name: down
  externalHost: "${origin(`down.${proxy.name}.localhost`)}"
  mode: forward_single
  identity: { issuer: "${UNREACHABLE_ISSUER}" }
- name: domain
  externalHost: "${origin(`auth.${domain}`)}"
  mode: forward_domain
  cookieDomain: "${domain}"
`,
      });
      running = await proxy.start({ portcullis: stack.portcullis, upstream: stack.upstream }, port);
    });
    afterAll(async () => {
      await running?.close();
      await stack?.close();
    });

    /** Asserts `step` is the echo upstream's answer and returns what the upstream received. */
    async function upstreamOf(step: Step) {
      expect(step.status, `${step.status} ${step.body.slice(0, 300)}\n${await running?.logs()}`).toBe(200);
      return echoed(step.body);
    }

    it('sends a browser through the IdP login and back to the page it asked for, with identity headers', async () => {
      const browser = new DomainBrowser();
      const page = `${single()}/private/page?x=1`;
      const first = await browser.visit(page);
      expect(first.status).toBe(302);
      expect(first.location).toBe(`${single()}/outpost.goauthentik.io/start?rd=${encodeURIComponent(page)}`);
      const hops = await browser.walk(first.location ?? '', ALICE);
      expect(hops.some((hop) => hop.url.startsWith(`${single()}/outpost.goauthentik.io/callback?`))).toBe(true);
      const last = hops.at(-1) as Step;
      expect(last.url).toBe(page);
      const upstream = await upstreamOf(last);
      expect(upstream.url).toBe('/private/page?x=1');
      expect(upstream.headers).toMatchObject({
        'x-authentik-username': 'alice',
        'x-authentik-groups': 'staff|admins',
        'x-authentik-email': 'alice@example.com',
        'x-authentik-name': 'Alice Example',
        'x-authentik-meta-app': 'single',
        'x-authentik-meta-outpost': 'portcullis',
      });
      expect(upstream.headers['x-authentik-jwt']).toMatch(/^ey/);
      // Signed in: the next page is decided from the session cookie alone.
      const again = await upstreamOf(await browser.visit(`${single()}/other`));
      expect(again.headers['x-authentik-username']).toBe('alice');
    });

    // Caddy returns the decision's non-2xx answer to the client as it is; nginx's auth_request
    // takes only 2xx, 401 and 403, so behind nginx the callback stays on its own path.
    if (proxy.name === 'caddy') it('answers authentik\'s callback signature on any path itself: session cookie, then the page', async () => {
      const browser = new DomainBrowser();
      const page = `${single()}/reports?y=2`;
      const first = await browser.visit(page);
      let next = first.location ?? '';
      let pending: Parameters<DomainBrowser['visit']>[1] = {};
      let submitted = false;
      let callback: string | null = null;
      for (let hop = 0; hop < 15 && callback === null; hop += 1) {
        const step = await browser.visit(next, pending);
        pending = {};
        if (step.status >= 300 && step.status < 400 && step.location !== null) {
          if (step.location.startsWith(`${single()}/outpost.goauthentik.io/callback`)) callback = step.location;
          else next = step.location;
          continue;
        }
        expect(submitted, `no login form: ${step.status} ${step.url}`).toBe(false);
        submitted = true;
        next = formAction(step.body, step.url);
        pending = { form: ALICE };
      }
      expect(callback).not.toBeNull();
      // The same parameters on an application path: the proxy asks the decision, which completes the login.
      const answered = await browser.visit(`${single()}/landing${new URL(callback ?? '').search}`);
      expect(answered.status, `${answered.status} ${answered.body.slice(0, 200)}`).toBe(302);
      expect(answered.location).toBe(page);
      expect(answered.setCookies.some((line) => line.startsWith(`${COOKIE}=`))).toBe(true);
      const upstream = await upstreamOf(await browser.visit(page));
      expect(upstream.headers['x-authentik-username']).toBe('alice');
    });

    it('lets a Basic app-password caller through with its identity, without its credential or spoofed identity headers', async () => {
      const script = new DomainBrowser();
      const first = await script.visit(`${single()}/api/things`, {
        headers: { ...API, authorization: basic('alice', APP_PASSWORDS.alice), 'x-authentik-username': 'mallory', 'x-authentik-groups': 'admins' },
      });
      const upstream = await upstreamOf(first);
      expect(upstream.headers['x-authentik-username']).toBe('alice');
      expect(upstream.headers['x-authentik-groups']).toBe('staff|admins');
      expect(upstream.headers.authorization).toBeUndefined();
      expect(first.setCookies.some((line) => line.startsWith(`${COOKIE}=`))).toBe(proxy.relaysCookieOnAllow);
      if (proxy.relaysCookieOnAllow) {
        // The script kept the cookie: the next call needs no credential.
        const next = await upstreamOf(await script.visit(`${single()}/api/more`, { headers: API }));
        expect(next.headers['x-authentik-username']).toBe('alice');
      }
    });

    it('lets a Bearer caller through with its identity', async () => {
      const token = await accessToken(stack.idp, 'bob');
      const step = await new DomainBrowser().visit(`${single()}/api/things`, { headers: { ...API, authorization: `Bearer ${token}` } });
      const upstream = await upstreamOf(step);
      expect(upstream.headers['x-authentik-username']).toBe('bob');
      expect(upstream.headers.authorization).toBeUndefined();
    });

    it('answers an X-Authentik-No-Redirect client without credentials 401 with both challenges, never a redirect', async () => {
      const step = await new DomainBrowser().visit(`${single()}/private`, { headers: { 'x-authentik-no-redirect': '1' } });
      expect(step.status).toBe(401);
      expect(step.location).toBeNull();
      expect(step.headers.get('www-authenticate')).toBe('Basic realm="single", charset="UTF-8", Bearer realm="single"');
    });

    it('answers an invalid Bearer token 401 with error="invalid_token"', async () => {
      const step = await new DomainBrowser().visit(`${single()}/private`, { headers: { ...API, authorization: 'Bearer not-a-token' } });
      expect(step.status).toBe(401);
      expect(step.headers.get('www-authenticate')).toContain('Bearer realm="single", error="invalid_token"');
    });

    it('answers 403 when the application policy denies, and lets the allowed user through', async () => {
      const admins = origin(`admins.${proxy.name}.localhost`);
      const denied = await new DomainBrowser().visit(`${admins}/`, { headers: { ...API, authorization: basic('bob', APP_PASSWORDS.bob) } });
      expect(denied.status).toBe(403);
      const allowed = await new DomainBrowser().visit(`${admins}/`, { headers: { ...API, authorization: basic('alice', APP_PASSWORDS.alice) } });
      expect((await upstreamOf(allowed)).headers['x-authentik-username']).toBe('alice');
    });

    it('answers an IdP outage 503 with Retry-After, never as refused credentials', async () => {
      const step = await new DomainBrowser().visit(`${origin(`down.${proxy.name}.localhost`)}/api`, { headers: { ...API, authorization: basic('alice', APP_PASSWORDS.alice) } });
      expect(step.status).toBe(503);
      expect(Number(step.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(step.headers.get('www-authenticate') ?? '').not.toContain('invalid_token');
    });

    it('serves a skip path anonymously, with none of the identity headers the client sent', async () => {
      const step = await new DomainBrowser().visit(`${single()}/public/info`, {
        headers: { ...API, 'x-authentik-username': 'mallory', 'x-authentik-groups': 'admins', 'x-authentik-jwt': 'forged', x_authentik_username: 'mallory' },
      });
      const upstream = await upstreamOf(step);
      // nginx drops an identity header with an empty value; Caddy sends it empty.
      for (const name of ['x-authentik-username', 'x-authentik-groups', 'x-authentik-jwt']) {
        expect(upstream.headers[name] ?? '', name).toBe('');
      }
      expect(Object.keys(upstream.headers).filter((name) => name.includes('_'))).toEqual([]);
    });

    it('ignores forwarded headers the client sends to claim another URL or application', async () => {
      const step = await new DomainBrowser().visit(`${single()}/private`, {
        headers: {
          'x-authentik-no-redirect': '1',
          'x-forwarded-uri': '/public/x',
          'x-forwarded-host': `admins.${proxy.name}.localhost:${port}`,
          'x-forwarded-method': 'OPTIONS',
          'x-original-uri': '/public/x',
          'x-original-url': `${single()}/public/x`,
        },
      });
      expect(step.status).toBe(401);
      // Decided for the application the client really addressed.
      expect(step.headers.get('www-authenticate')).toContain('realm="single"');
    });

    it('decides a path that climbs out of /outpost.goauthentik.io/ as the path it resolves to', async () => {
      for (const path of ['/outpost.goauthentik.io/../private', '/outpost.goauthentik.io/%2e%2e/private']) {
        const response = await rawRequest(
          port,
          [`GET ${path} HTTP/1.1`, `Host: single.${proxy.name}.localhost:${port}`, 'X-Authentik-No-Redirect: 1', 'Connection: close', '', ''].join('\r\n'),
        );
        expect(response.status, path).toBe(401);
      }
    });

    it('keeps the decision endpoints away from browsers', async () => {
      for (const endpoint of [proxy.endpoint, '/outpost.goauthentik.io/auth/nginx', '/outpost.goauthentik.io/auth/envoy/private']) {
        const step = await new DomainBrowser().visit(`${single()}${endpoint}`, { headers: { ...API, authorization: basic('alice', APP_PASSWORDS.alice) } });
        expect(step.status, endpoint).toBe(404);
        expect(step.headers.get('x-authentik-jwt'), endpoint).toBeNull();
      }
    });

    it('forward_domain: one login on externalHost covers every host under the cookie domain', async () => {
      const browser = new DomainBrowser();
      const page = `${origin(`a.${domain}`)}/dashboard?tab=1`;
      const first = await browser.visit(page);
      expect(first.location).toBe(`${origin(`auth.${domain}`)}/outpost.goauthentik.io/start?rd=${encodeURIComponent(page)}`);
      const hops = await browser.walk(first.location ?? '', ALICE);
      expect(hops.some((hop) => hop.url.startsWith(`${origin(`auth.${domain}`)}/outpost.goauthentik.io/callback?`))).toBe(true);
      const last = hops.at(-1) as Step;
      expect(last.url).toBe(page);
      expect((await upstreamOf(last)).headers['x-authentik-username']).toBe('alice');
      expect(browser.stored(COOKIE)).toEqual([{ domain, host: `auth.${domain}` }]);
      // Another host under the domain: no login, the same session.
      const other = await browser.visit(`${origin(`b.${domain}`)}/reports`);
      const upstream = await upstreamOf(other);
      expect(upstream.headers['x-authentik-username']).toBe('alice');
      expect(upstream.headers['x-authentik-meta-app']).toBe('domain');
    });

    it('forward_domain: a browser that was never signed in is sent to externalHost to log in', async () => {
      const step = await new DomainBrowser().visit(`${origin(`b.${domain}`)}/x`, { headers: {} });
      expect(step.status).toBe(302);
      expect(step.location).toBe(`${origin(`auth.${domain}`)}/outpost.goauthentik.io/start?rd=${encodeURIComponent(`${origin(`b.${domain}`)}/x`)}`);
    });

  });
}
