import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startEchoUpstream, type EchoUpstream, type EchoRequest } from '../../src/demo/echo-upstream.js';
import { proxyConfig, startGateway, type RunningGateway } from '../support/gateway.js';

let echo: EchoUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  echo = await startEchoUpstream();
  gw = await startGateway(proxyConfig({ upstream: echo.url, extra: 'skipPathRegex: ["^/public/"]' }));
});
afterAll(async () => {
  await gw?.close();
  await echo?.close();
});

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await request(`${gw.url}${path}`, { headers: { host: 'app.test', ...headers } });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text };
}

describe('host routing', () => {
  it('with one application, serves it on every well-formed Host (as authentik does)', async () => {
    const res = await get('/public/x', { host: 'other.test' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({ url: '/public/x' });
    expect((await get('/public/x', { host: '10.1.2.3:9000' })).status).toBe(200);
  });

  it('with several applications, answers an unknown host with a JSON 400 naming the host', async () => {
    const second = `  - name: second\n    externalHost: "http://second.test"\n    internalHost: "${echo.url}"\n    skipPathRegex: ["^/"]\n`;
    const two = await startGateway(`${proxyConfig({ upstream: echo.url, extra: 'skipPathRegex: ["^/"]' })}${second}`);
    try {
      const res = await request(`${two.url}/`, { headers: { host: 'other.test' } });
      const text = await res.body.text();
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/json/);
      expect(JSON.parse(text)).toEqual({ error: 'unknown_host', message: 'no application is configured for host "other.test"' });
      const known = await request(`${two.url}/x`, { headers: { host: 'second.test' } });
      expect(known.statusCode).toBe(200);
      expect(JSON.parse(await known.body.text())).toMatchObject({ url: '/x' });
    } finally {
      await two.close();
    }
  });

  it('answers ping with 204 before any application lookup: any Host, any method', async () => {
    for (const method of ['GET', 'HEAD', 'POST', 'OPTIONS']) {
      const res = await request(`${gw.url}/outpost.goauthentik.io/ping`, { method, headers: { host: 'not a valid host!' } });
      await res.body.dump();
      expect(res.statusCode).toBe(204);
    }
  });

  it('matches the host case-insensitively and with a port the externalHost does not name', async () => {
    expect((await get('/public/x', { host: 'APP.test' })).status).toBe(200);
    expect((await get('/public/x', { host: 'app.test:9000' })).status).toBe(200);
  });

  it('believes X-Forwarded-Host from a trusted proxy (loopback by default)', async () => {
    const res = await get('/public/x', { host: 'other.test', 'x-forwarded-host': 'app.test' });
    expect(res.status).toBe(200);
  });

  it('answers ping with 204 and no body, without authentication', async () => {
    const res = await get('/outpost.goauthentik.io/ping');
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
  });

  it('never forwards an unknown path under the reserved prefix, however it is spelled', async () => {
    const before = echo.received.length;
    for (const path of ['/outpost.goauthentik.io/anything', '/outpost.goauthentik.io//ping', '/public/../outpost.goauthentik.io/x']) {
      const res = await get(path, { 'x-authentik-no-redirect': '1' });
      expect(res.status, path).toBe(404);
    }
    expect(echo.received.length).toBe(before);
  });
});

describe('request pipeline without credentials', () => {
  it('forwards a skip path to the upstream with the normalized path and the query byte for byte', async () => {
    const res = await get('/public/a/./b//c/%7Euser/%2e%2e/d?x=%2F&y=a+b&flag');
    expect(res.status).toBe(200);
    const seen = JSON.parse(res.text) as EchoRequest;
    expect(seen.url).toBe('/public/a/b/c/d?x=%2F&y=a+b&flag');
  });

  it('redirects a browser to the login start with the original URL built from externalHost', async () => {
    const res = await get('/private/page?q=1', { accept: 'text/html,application/xhtml+xml' });
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe(
      `http://app.test/outpost.goauthentik.io/start?rd=${encodeURIComponent('http://app.test/private/page?q=1')}`,
    );
  });

  it('does not take the redirect target from a forged Host-like header', async () => {
    const res = await get('/private', { accept: 'text/html', 'x-forwarded-host': 'app.test', 'x-original-url': 'https://evil.example/' });
    expect(res.headers.location).toMatch(/^http:\/\/app\.test\/outpost\.goauthentik\.io\/start\?rd=http%3A%2F%2Fapp\.test%2Fprivate$/);
  });

  it('answers API clients with 401 and one challenge line per scheme', async () => {
    const res = await get('/private', { accept: 'application/json' });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toEqual(['Basic realm="app", charset="UTF-8"', 'Bearer realm="app"']);
    expect(JSON.parse(res.text)).toMatchObject({ error: 'unauthorized' });
  });

  it('honours X-Authentik-No-Redirect as a header (any value) and as a query parameter', async () => {
    expect((await get('/private', { accept: 'text/html', 'x-authentik-no-redirect': '' })).status).toBe(401);
    expect((await get('/private?x-authentik-no-redirect', { accept: 'text/html' })).status).toBe(401);
    expect((await get('/private?X-Authentik-No-Redirect=true', { accept: 'text/html' })).status).toBe(401);
  });

  it('refuses encoded slashes, backslashes and NUL in the path with 400 before anything else', async () => {
    const before = echo.received.length;
    for (const path of ['/public/%2F..%2Fadmin', '/public/%5Cadmin', '/public/%00', '/public/%zz']) {
      const res = await get(path);
      expect(res.status, path).toBe(400);
      expect(JSON.parse(res.text)).toMatchObject({ error: 'invalid_path' });
    }
    expect(echo.received.length).toBe(before);
  });

  it('does not let a skip rule be reached through dot segments from a protected path, or escape it', async () => {
    const before = echo.received.length;
    const res = await get('/public/../private', { accept: 'application/json' });
    expect(res.status).toBe(401);
    expect(echo.received.length).toBe(before);
  });

  it('does not forward TRACE', async () => {
    const res = await request(`${gw.url}/public/x`, { method: 'TRACE', headers: { host: 'app.test' } });
    await res.body.text();
    expect(res.statusCode).toBe(404);
  });
});
