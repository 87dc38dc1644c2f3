/**
 * Absolute-form request targets (RFC 9112 §3.2.2): accepted for an application's own
 * externalHost (port included), refused for anything else in every mode, never forwarded.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEchoUpstream, type EchoUpstream } from '../../src/demo/echo-upstream.js';
import { parseAbsoluteTarget } from '../../src/gateway/request-target.js';
import { proxyConfig, startGateway, type RunningGateway } from '../support/gateway.js';
import { rawRequest } from '../support/raw-http.js';

describe('parsing an absolute-form target', () => {
  it.each([
    ['http://app.test/x?y=1', 'app.test', 'app.test:80', '/x?y=1'],
    ['http://APP.test:80/', 'app.test', 'app.test:80', '/'],
    ['https://app.test/a', 'app.test', 'app.test:443', '/a'],
    ['http://app.test:8080', 'app.test:8080', 'app.test:8080', '/'],
    ['http://app.test?q', 'app.test', 'app.test:80', '/?q'],
    ['http://[::1]:9000/v6', '[::1]:9000', '[::1]:9000', '/v6'],
  ])('%s: authority %s, endpoint %s, origin-form %s', (raw, authority, endpoint, originForm) => {
    expect(parseAbsoluteTarget(raw)).toEqual({ ok: true, target: { authority, endpoint, originForm } });
  });

  it.each([
    ['http://u:p@app.test/', 'user info'],
    ['http://app.test@evil.example/', 'user info'],
    ['http://app.test/x#frag', 'fragment'],
    ['ftp://app.test/', 'absolute path'],
    ['app.test:443', 'absolute path'],
    ['*', 'absolute path'],
    ['http:///x', 'names no host'],
    ['http://app.test\\@evil/', 'absolute path'],
    ['http://[::1/', 'no valid host'],
  ])('%s is refused (%s)', (raw, reason) => {
    const parsed = parseAbsoluteTarget(raw);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.reason).toContain(reason);
  });
});

describe('routing an absolute-form target', () => {
  let echo: EchoUpstream;
  let plain: RunningGateway;
  let proxy: RunningGateway;

  beforeAll(async () => {
    echo = await startEchoUpstream();
    plain = await startGateway(proxyConfig({ upstream: echo.url, extra: 'skipPathRegex: ["^/public/"]' }));
    proxy = await startGateway(proxyConfig({ upstream: echo.url, extra: 'skipPathRegex: ["^/public/"]\nheaderAuth: { header: proxy-authorization }' }));
  });
  afterAll(async () => {
    await plain?.close();
    await proxy?.close();
    await echo?.close();
  });

  async function send(gw: RunningGateway, target: string, host = 'app.test'): Promise<{ status: number; body: string }> {
    const res = await rawRequest(gw.port, `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    return { status: res.status, body: res.body };
  }

  it('forwards a target on the application as its origin form, the authority winning over Host', async () => {
    for (const gw of [plain, proxy]) {
      const res = await send(gw, 'http://app.test/public/a?b=1', 'app.test');
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ url: '/public/a?b=1', headers: { 'x-forwarded-host': 'app.test' } });
    }
  });

  it('refuses a target on any other host: 400 in the Authorization mode, 403 in the proxy mode, nothing forwarded', async () => {
    const before = echo.received.length;
    for (const [gw, status] of [[plain, 400], [proxy, 403]] as const) {
      for (const target of ['http://example.org/public/x', 'http://app.test:81/public/x', 'https://app.test/public/x', 'http://127.0.0.1/public/x']) {
        const res = await send(gw, target);
        expect(res.status, target).toBe(status);
        expect(JSON.parse(res.body)).toMatchObject({ error: 'not_an_application' });
      }
    }
    expect(echo.received.length).toBe(before);
  });

  it('refuses user info, fragments and non-http schemes with a 400', async () => {
    for (const target of ['http://u:p@app.test/public/x', 'http://app.test/public/x#f', 'ftp://app.test/public/x']) {
      expect((await send(proxy, target)).status, target).toBe(400);
    }
  });
});
