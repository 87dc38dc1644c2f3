/**
 * The forward-auth endpoints asked directly, the way each proxy asks them. nginx and Caddy
 * run for real in nginx.test.ts and caddy.test.ts; Traefik and Envoy are not packaged in
 * Debian, so their requests are built by test/support/traefik-forward-auth.ts and
 * test/support/envoy-ext-authz.ts, which follow those proxies' source (cited there) and read
 * their settings from the README's snippets.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { cookieNameFor } from '../../src/config/index.js';
import { envoyExtAuthz, extAuthzConfig, type DownstreamRequest, type ExtAuthzConfig } from '../support/envoy-ext-authz.js';
import { forwardAuthConfig, traefikForwardAuth, type ClientRequest, type ForwardAuthConfig } from '../support/traefik-forward-auth.js';
import { snippetYaml } from './snippets.js';
import { accessToken, ADMINS_ONLY_POLICY, APP_PASSWORDS, basic, startForwardStack, UNREACHABLE_ISSUER, type ForwardStack } from './stack.js';

const NGINX = '/outpost.goauthentik.io/auth/nginx';
const TRAEFIK = '/outpost.goauthentik.io/auth/traefik';
const CADDY = '/outpost.goauthentik.io/auth/caddy';
const COOKIE = cookieNameFor('portcullis');
const HTML = 'text/html,application/xhtml+xml';
const JSON_ACCEPT = 'application/json';
const FWD_CHALLENGES = ['Basic realm="fwd", charset="UTF-8"', 'Bearer realm="fwd"'];
const start = (origin: string, target: string): string => `${origin}/outpost.goauthentik.io/start?rd=${encodeURIComponent(target)}`;

let stack: ForwardStack;
/** A client on 127.0.0.2: on loopback, but not in trustedProxies. */
const untrusted = new Agent({ localAddress: '127.0.0.2' });

beforeAll(async () => {
  stack = await startForwardStack({
    externalHosts: [],
    policies: { 'admins.yaml': ADMINS_ONLY_POLICY },
    applications: (upstream) => `
- name: fwd
  externalHost: "http://fwd.test"
  mode: forward_single
  skipPathRegex: ["^/public/"]
- name: dom
  externalHost: "https://auth.dom.test"
  mode: forward_domain
  cookieDomain: ".dom.test"
  skipPathRegex: ['^https://public\\.dom\\.test/', '^https://[^/]+/healthz$']
- name: admins
  externalHost: "http://admins.test"
  mode: forward_single
  policies: { bindings: [{ policy: admins-only }] }
- name: down
  externalHost: "http://down.test"
  mode: forward_single
  identity: { issuer: "${UNREACHABLE_ISSUER}" }
- name: basicup
  externalHost: "http://basicup.test"
  mode: forward_single
  upstreamBasicAuth: { enabled: true }
- name: proxied
  externalHost: "http://proxied.test"
  internalHost: "${upstream}"
`,
  });
});
afterAll(async () => {
  await stack?.close();
  await untrusted.close();
});

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

async function ask(path: string, headers: Record<string, string | string[]>, options: { method?: string; body?: string; fromUntrusted?: boolean } = {}): Promise<Answer> {
  const res = await request(`${stack.gw.url}${path}`, {
    method: (options.method ?? 'GET') as 'GET',
    headers,
    ...(options.body === undefined ? {} : { body: options.body }),
    ...(options.fromUntrusted === true ? { dispatcher: untrusted } : {}),
  });
  return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
}

function lines(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

describe('skipPathRegex in forward_domain: matched against scheme://host + path, never the query (as authentik)', () => {
  const traefik = (host: string, uri: string) =>
    ask(TRAEFIK, { host: 'auth.dom.test', 'x-forwarded-proto': 'https', 'x-forwarded-host': host, 'x-forwarded-uri': uri, accept: JSON_ACCEPT });

  it.each([
    ['public.dom.test', '/anything', 200],
    ['app.dom.test', '/healthz', 200],
    ['app.dom.test', '/anything', 401],
    ['app.dom.test', '/healthz/more', 401],
    // The query plays no part: a URL that names the public host in its query is still protected.
    ['app.dom.test', '/x?next=https://public.dom.test/', 401],
    ['app.dom.test', '/https://public.dom.test/', 401],
  ])('%s%s: %i', async (host, uri, status) => {
    expect((await traefik(host, uri)).status).toBe(status);
  });
});

describe('nginx (auth_request)', () => {
  const original = (url: string, extra: Record<string, string | string[]> = {}) => ({ host: new URL(url).host, 'x-original-url': url, ...extra });

  it('answers an API client 401 with every challenge on one line: nginx 1.22 relays only the first', async () => {
    const answer = await ask(NGINX, original('http://fwd.test/private', { accept: JSON_ACCEPT }));
    expect(answer.status).toBe(401);
    expect(lines(answer.headers['www-authenticate'])).toEqual([FWD_CHALLENGES.join(', ')]);
    expect(answer.headers['x-portcullis-login']).toBeUndefined();
  });

  it('answers a browser 401 naming the login URL for the sign-in location, never a redirect', async () => {
    const answer = await ask(NGINX, original('http://fwd.test/private?a=1', { accept: HTML }));
    expect(answer.status).toBe(401);
    expect(answer.headers.location).toBeUndefined();
    expect(answer.headers['x-portcullis-login']).toBe(start('http://fwd.test', 'http://fwd.test/private?a=1'));
  });

  it('takes the path from X-Original-URI and the host the request was routed by', async () => {
    const answer = await ask(NGINX, { host: 'fwd.test', 'x-original-uri': '/private?a=1', accept: HTML });
    expect(answer.headers['x-portcullis-login']).toBe(start('http://fwd.test', 'http://fwd.test/private?a=1'));
  });

  it('allows a Basic caller: 200, identity headers, the session cookie, and never the caller credential', async () => {
    const answer = await ask(NGINX, original('http://fwd.test/api', { authorization: basic('alice', APP_PASSWORDS.alice), 'x-original-method': 'POST' }));
    expect(answer.status).toBe(200);
    expect(answer.headers['x-authentik-username']).toBe('alice');
    expect(answer.headers['x-authentik-meta-app']).toBe('fwd');
    expect(lines(answer.headers['set-cookie']).some((line) => line.startsWith(`${COOKIE}=`))).toBe(true);
    expect(answer.headers.authorization).toBeUndefined();
    expect(answer.headers['cache-control']).toBe('no-store');
  });

  it('answers an IdP outage 401 with Retry-After and the plain challenges: never invalid_token, never a login', async () => {
    const answer = await ask(NGINX, original('http://down.test/api', { authorization: basic('alice', APP_PASSWORDS.alice), accept: HTML }));
    expect(answer.status).toBe(401);
    expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0);
    expect(lines(answer.headers['www-authenticate'])).toEqual(['Basic realm="down", charset="UTF-8", Bearer realm="down"']);
    expect(answer.headers['x-portcullis-login']).toBeUndefined();
    expect(answer.body).toContain('temporarily unavailable');
  });

  it('answers 403 when the policy denies', async () => {
    const token = await accessToken(stack.idp, 'bob');
    const answer = await ask(NGINX, original('http://admins.test/', { authorization: `Bearer ${token}` }));
    expect(answer.status).toBe(403);
  });

  it.each([
    ['no X-Original-URL or X-Original-URI', { host: 'fwd.test' }, 'bad_forwarded_request'],
    ['two X-Original-URL lines', { host: 'fwd.test', 'x-original-url': ['http://fwd.test/public/x', 'http://fwd.test/private'] }, 'bad_forwarded_request'],
    ['X-Original-URL and X-Original-URI disagreeing', { host: 'fwd.test', 'x-original-url': 'http://fwd.test/private', 'x-original-uri': '/public/x' }, 'bad_forwarded_request'],
    ['a malformed X-Original-URL', { host: 'fwd.test', 'x-original-url': 'fwd.test/private' }, 'bad_forwarded_request'],
    ['an X-Original-URL on another host', { host: 'fwd.test', 'x-original-url': 'http://evil.example/private' }, 'host_mismatch'],
    ['an encoded slash in the original path', { host: 'fwd.test', 'x-original-url': 'http://fwd.test/public/..%2Fprivate' }, 'invalid_path'],
    ['a malformed X-Original-Method', { host: 'fwd.test', 'x-original-url': 'http://fwd.test/private', 'x-original-method': 'GE T' }, 'bad_forwarded_request'],
    ['a proxy-mode application', { host: 'proxied.test', 'x-original-url': 'http://proxied.test/private' }, 'not_forward_auth'],
  ])('answers %s with 403 (nginx acts on 2xx, 401 and 403 only)', async (_name, headers, error) => {
    const answer = await ask(NGINX, { accept: JSON_ACCEPT, ...headers });
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body).error).toBe(error);
  });

  it('answers 403 even when the request never reached the decision (an unknown host)', async () => {
    const answer = await ask(NGINX, original('http://unknown.test/private', { accept: JSON_ACCEPT }));
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body).error).toBe('unknown_host');
  });

  it('does not believe X-Original-URL from a peer outside trustedProxies', async () => {
    const answer = await ask(NGINX, original('http://fwd.test/public/x', { accept: JSON_ACCEPT }), { fromUntrusted: true });
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body).message).toContain('trustedProxies');
  });

  it.each([
    ['/outpost.goauthentik.io/start', 200],
    ['/outpost.goauthentik.io/callback', 200],
    ['/outpost.goauthentik.io/sign_out', 200],
    ['/outpost.goauthentik.io/ping', 200],
    ['/outpost.goauthentik.io/backchannel_logout', 200],
    ['/outpost.goauthentik.io/../admin', 401],
    ['/outpost.goauthentik.io/%73tart', 401],
    ['/outpost.goauthentik.io//start', 401],
    ['/outpost.goauthentik.io/start/', 401],
    ['/outpost.goauthentik.io/auth/nginx', 401],
    ['/outpost.goauthentik.io/admin', 401],
  ])('lets only the exact reserved endpoints through unauthenticated: %s → %i', async (path, status) => {
    const answer = await ask(NGINX, original(`http://fwd.test${path}`, { accept: JSON_ACCEPT }));
    expect(answer.status).toBe(status);
    if (status === 200) {
      expect(answer.headers['x-authentik-username']).toBe('');
    }
  });
});

describe('Traefik (forwardAuth, as configured in traefik.yaml)', () => {
  let config: ForwardAuthConfig;
  beforeAll(() => {
    config = forwardAuthConfig(snippetYaml('traefik', { portcullis: stack.portcullis, upstream: stack.upstream }), 'portcullis');
  });
  const client = (host: string, requestUri: string, headers: ClientRequest['headers'] = {}, method = 'GET'): ClientRequest => ({ method, host, requestUri, headers, remoteAddress: '203.0.113.7' });

  it('sends a browser to the login with a 302', async () => {
    const result = await traefikForwardAuth(config, client('fwd.test', '/private?a=1', { accept: HTML }));
    expect(result).toMatchObject({ kind: 'respond', status: 302, headers: { location: start('http://fwd.test', 'http://fwd.test/private?a=1') } });
  });

  it('forward_domain: logs in on externalHost and returns to the host asked for, with externalHost scheme', async () => {
    const result = await traefikForwardAuth(config, client('b.dom.test', '/reports', { accept: HTML }));
    expect(result).toMatchObject({ kind: 'respond', status: 302, headers: { location: start('https://auth.dom.test', 'https://b.dom.test/reports') } });
  });

  it('passes a Basic caller on with identity headers, without its credential, and hands the session cookie to the client', async () => {
    const result = await traefikForwardAuth(config, client('fwd.test', '/api', { authorization: basic('alice', APP_PASSWORDS.alice), 'x-authentik-username': 'mallory' }, 'DELETE'));
    if (result.kind !== 'forward') throw new Error(`expected the request to go on, got ${result.status} ${result.body}`);
    expect(result.upstreamHeaders['x-authentik-username']).toBe('alice');
    expect(result.upstreamHeaders.authorization).toBeUndefined();
    expect(result.responseCookies.some((line) => line.startsWith(`${COOKIE}=`))).toBe(true);
  });

  it('passes a skip path on anonymously, overwriting the identity headers the client sent', async () => {
    const result = await traefikForwardAuth(config, client('fwd.test', '/public/x', { 'x-authentik-username': 'mallory' }));
    if (result.kind !== 'forward') throw new Error(`expected the request to go on, got ${result.status}`);
    expect(result.upstreamHeaders['x-authentik-username']).toBe('');
  });

  it('decides on the request Traefik received, not on the X-Forwarded-Uri the client sent', async () => {
    const result = await traefikForwardAuth(config, client('fwd.test', '/private', { 'x-forwarded-uri': '/public/x', 'x-forwarded-host': 'admins.test', 'x-authentik-no-redirect': '1' }));
    expect(result).toMatchObject({ kind: 'respond', status: 401, headers: { 'www-authenticate': FWD_CHALLENGES } });
  });

  it('answers a Bearer caller the policy denies 403 with error="insufficient_scope"', async () => {
    const token = await accessToken(stack.idp, 'bob');
    const result = await traefikForwardAuth(config, client('admins.test', '/', { authorization: `Bearer ${token}` }));
    expect(result).toMatchObject({ kind: 'respond', status: 403, headers: { 'www-authenticate': 'Bearer realm="admins", error="insufficient_scope"' } });
  });

  it('answers an IdP outage 503 with Retry-After', async () => {
    const result = await traefikForwardAuth(config, client('down.test', '/api', { authorization: basic('alice', APP_PASSWORDS.alice) }));
    expect(result).toMatchObject({ kind: 'respond', status: 503 });
    if (result.kind === 'respond') expect(Number(result.headers['retry-after'])).toBeGreaterThan(0);
  });
});

describe('Traefik and Caddy: the X-Forwarded-* contract', () => {
  const complete = { host: 'fwd.test', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'fwd.test', 'x-forwarded-uri': '/private', accept: JSON_ACCEPT };

  it.each([TRAEFIK, CADDY])('%s decides the original method, host and URI', async (endpoint) => {
    const answer = await ask(endpoint, { ...complete, 'x-forwarded-method': 'PUT' });
    expect(answer.status).toBe(401);
  });

  it.each([
    ['no X-Forwarded-Uri', { 'x-forwarded-uri': undefined }],
    ['no X-Forwarded-Host', { 'x-forwarded-host': undefined }],
    ['no X-Forwarded-Proto', { 'x-forwarded-proto': undefined }],
    ['X-Forwarded-Proto: ftp', { 'x-forwarded-proto': 'ftp' }],
    ['two X-Forwarded-Uri lines', { 'x-forwarded-uri': ['/public/x', '/private'] }],
    ['two X-Forwarded-Host values', { 'x-forwarded-host': 'fwd.test, fwd.test' }],
    ['a relative X-Forwarded-Uri', { 'x-forwarded-uri': 'public/x' }],
    ['X-Forwarded-Method: GE T', { 'x-forwarded-method': 'GE T' }],
  ])('answers %s with 400, never 200', async (_name, change) => {
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries({ ...complete, 'x-forwarded-uri': '/public/x', ...change })) {
      if (value !== undefined) headers[name] = value;
    }
    for (const endpoint of [TRAEFIK, CADDY]) {
      const answer = await ask(endpoint, headers);
      expect(answer.status, endpoint).toBe(400);
      expect(JSON.parse(answer.body).error, endpoint).toBe('bad_forwarded_request');
    }
  });

  it('does not believe X-Forwarded-* from a peer outside trustedProxies', async () => {
    const answer = await ask(TRAEFIK, { ...complete, 'x-forwarded-uri': '/public/x' }, { fromUntrusted: true });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body).message).toContain('trustedProxies');
  });

  it('answers a proxy-mode application with a 404 saying it is not a forward-auth application', async () => {
    const answer = await ask(TRAEFIK, { ...complete, host: 'proxied.test', 'x-forwarded-host': 'proxied.test' });
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.body).error).toBe('not_forward_auth');
  });
});

describe('Envoy (ext_authz, as configured in envoy.yaml)', () => {
  let config: ExtAuthzConfig;
  beforeAll(() => {
    config = extAuthzConfig(snippetYaml('envoy', { portcullis: stack.portcullis, upstream: stack.upstream }));
  });
  const downstream = (host: string, path: string, headers: Record<string, string> = {}, method = 'GET'): DownstreamRequest => ({ method, host, path, headers });

  it('reads the original path after path_prefix and sends a browser to the login with a 302', async () => {
    expect(config.pathPrefix).toBe('/outpost.goauthentik.io/auth/envoy');
    const result = await envoyExtAuthz(config, stack.gw.url, downstream('fwd.test', '/private?a=1', { accept: HTML }));
    expect(result).toMatchObject({ kind: 'respond', status: 302, headers: { location: start('http://fwd.test', 'http://fwd.test/private?a=1') } });
  });

  it('allows a Basic caller of any method: identity upstream, the credential removed, the session cookie to the client', async () => {
    const result = await envoyExtAuthz(config, stack.gw.url, downstream('fwd.test', '/api/items/7', { authorization: basic('alice', APP_PASSWORDS.alice), 'x-authentik-username': 'mallory' }, 'PATCH'));
    if (result.kind !== 'forward') throw new Error(`expected the request to go on, got ${result.status} ${result.body}`);
    expect(result.upstreamHeaders['x-authentik-username']).toBe('alice');
    expect(result.upstreamHeaders.authorization).toBeUndefined();
    expect(result.responseHeaders.some(([name, value]) => name === 'set-cookie' && value.startsWith(`${COOKIE}=`))).toBe(true);
  });

  it('sends the upstream its own Basic credentials instead of the caller credential (upstreamBasicAuth)', async () => {
    const result = await envoyExtAuthz(config, stack.gw.url, downstream('basicup.test', '/', { authorization: basic('alice', APP_PASSWORDS.alice) }));
    if (result.kind !== 'forward') throw new Error(`expected the request to go on, got ${result.status}`);
    expect(result.upstreamHeaders.authorization).toBe(basic('alice-grafana', 's3cret'));
  });

  it('answers an IdP outage 401 with Retry-After, never a 5xx, which failure_mode_allow would turn into an allow', async () => {
    const careless = { ...config, failureModeAllow: true };
    const result = await envoyExtAuthz(careless, stack.gw.url, downstream('down.test', '/api', { authorization: basic('alice', APP_PASSWORDS.alice) }));
    if (result.kind !== 'respond') throw new Error('an outage let the request through');
    expect(result.status).toBe(401);
    expect(Number(result.headers['retry-after'])).toBeGreaterThan(0);
    expect(String(result.headers['www-authenticate'])).not.toContain('invalid_token');
    expect(JSON.parse(result.body).error).toBe('service_unavailable');
  });

  it.each([
    ['/public/../private', 401],
    ['/outpost.goauthentik.io/../private', 401],
    ['/outpost.goauthentik.io/auth/envoy/public/x', 401],
    ['/outpost.goauthentik.io/start', 200],
    ['/public/x', 200],
  ])('decides the original path %s after normalization (%i)', async (path, status) => {
    const result = await envoyExtAuthz(config, stack.gw.url, downstream('fwd.test', path, { 'x-authentik-no-redirect': '1' }));
    expect(result.kind === 'forward' ? 200 : result.status).toBe(status);
  });

  it('never reads the body: a POST with any content type is decided, not parsed', async () => {
    const answer = await ask('/outpost.goauthentik.io/auth/envoy/upload', { host: 'fwd.test', 'content-type': 'application/json', accept: JSON_ACCEPT }, { method: 'POST', body: '{not json' });
    expect(answer.status).toBe(401);
    const head = await ask('/outpost.goauthentik.io/auth/envoy/private', { host: 'fwd.test', accept: JSON_ACCEPT }, { method: 'HEAD' });
    expect(head.status).toBe(401);
  });

  it('answers a proxy-mode application 404, and a request without an original path 400', async () => {
    const proxied = await ask('/outpost.goauthentik.io/auth/envoy/x', { host: 'proxied.test', accept: JSON_ACCEPT });
    expect(proxied.status).toBe(404);
    const bare = await ask('/outpost.goauthentik.io/auth/envoy', { host: 'fwd.test', accept: JSON_ACCEPT });
    expect(bare.status).toBe(400);
  });
});

describe('the gateway port of a forward-auth application', () => {
  it('answers only the outpost endpoints: other paths are 404, never a decision', async () => {
    const answer = await ask('/private', { host: 'fwd.test', authorization: basic('alice', APP_PASSWORDS.alice), accept: JSON_ACCEPT });
    expect(answer.status).toBe(404);
    expect(answer.headers['x-authentik-username']).toBeUndefined();
  });
});
