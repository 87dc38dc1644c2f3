import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import WebSocket from 'ws';
import { startEchoUpstream, type EchoUpstream, type EchoRequest } from '../../src/demo/echo-upstream.js';
import { proxyConfig, startGateway, type RunningGateway } from '../support/gateway.js';
import { rawRequest } from '../support/raw-http.js';

let echo: EchoUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  echo = await startEchoUpstream();
  gw = await startGateway(
    proxyConfig({
      upstream: echo.url,
      extra: 'skipPathRegex: ["^/public/"]\nadditionalHeaders: { X-Static: "static value" }',
      top: 'timeouts: { upstreamResponse: "400ms" }',
    }),
  );
});
afterAll(async () => {
  await gw?.close();
  await echo?.close();
});

describe('streaming through the proxy', () => {
  it('delivers a 50 MB upload intact, with no body-size limit', async () => {
    const size = 50 * 1024 * 1024;
    const chunk = randomBytes(1024 * 1024);
    const hash = createHash('sha256');
    for (let i = 0; i < 50; i++) hash.update(chunk);
    const body = Readable.from((function* () {
      for (let i = 0; i < 50; i++) yield chunk;
    })());
    const res = await request(`${gw.url}/public/upload`, {
      method: 'POST',
      headers: { host: 'app.test', 'content-type': 'application/octet-stream' },
      body,
    });
    const seen = (await res.body.json()) as EchoRequest;
    expect(res.statusCode).toBe(200);
    expect(seen.bodyLength).toBe(size);
    expect(seen.bodySha256).toBe(hash.digest('hex'));
  });

  it('streams a chunked download through unchanged', async () => {
    const res = await request(`${gw.url}/public/stream?chunks=200&size=65536`, { headers: { host: 'app.test' } });
    expect(res.statusCode).toBe(200);
    const got = Buffer.from(await res.body.arrayBuffer());
    expect(got.length).toBe(200 * 65536);
    expect(got[0]).toBe(0);
    expect(got[65536 * 7 + 5]).toBe(7);
  });

  it('proxies a WebSocket upgrade and echoes messages both ways', async () => {
    const ws = new WebSocket(`${gw.url.replace('http', 'ws')}/public/socket?room=1`, { headers: { host: 'app.test' } });
    const messages: string[] = [];
    const hello = await new Promise<{ url: string; headers: Record<string, string> }>((resolve, reject) => {
      ws.once('message', (data) => resolve(JSON.parse(String(data)) as { url: string; headers: Record<string, string> }));
      ws.once('error', reject);
    });
    expect(hello.url).toBe('/public/socket?room=1');
    expect(hello.headers['x-forwarded-host']).toBe('app.test');
    ws.send('ping-1');
    messages.push(String(await new Promise((resolve) => ws.once('message', resolve))));
    expect(messages).toEqual(['ping-1']);
    ws.close();
  });

  it('refuses an unauthenticated WebSocket upgrade on a protected path without contacting the upstream', async () => {
    const before = echo.received.length;
    const ws = new WebSocket(`${gw.url.replace('http', 'ws')}/private/socket`, { headers: { host: 'app.test' } });
    const status = await new Promise<number>((resolve) => {
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('open', () => resolve(101));
      ws.once('error', () => resolve(-1));
    });
    expect(status).toBe(401);
    expect(echo.received.length).toBe(before);
  });
});

describe('headers to and from the upstream', () => {
  it('drops hop-by-hop and Connection-listed headers, identity spoofs and underscore variants', async () => {
    const res = await rawRequest(
      gw.port,
      [
        'GET /public/headers HTTP/1.1',
        'Host: app.test',
        'Connection: close, X-Drop-Me',
        'X-Drop-Me: 1',
        'Keep-Alive: timeout=5',
        'TE: gzip',
        'Proxy-Authorization: Basic Zm9vOmJhcg==',
        'X-Authentik-Username: root',
        'x-AUTHENTIK-groups: admins',
        'X_Authentik_Username: root',
        'X-Kept: yes',
        '',
        '',
      ].join('\r\n'),
    );
    expect(res.status).toBe(200);
    const seen = JSON.parse(res.body) as EchoRequest;
    const names = Object.keys(seen.headers);
    for (const dropped of ['x-drop-me', 'keep-alive', 'te', 'proxy-authorization', 'x-authentik-username', 'x-authentik-groups', 'x_authentik_username']) {
      expect(names, dropped).not.toContain(dropped);
    }
    expect(seen.headers['x-kept']).toBe('yes');
    expect(seen.headers['x-static']).toBe('static value');
  });

  it('sets X-Forwarded-For/-Proto/-Host, replacing what an untrusted client claims', async () => {
    // The gateway trusts loopback by default, so start one that trusts nobody.
    const untrusting = await startGateway(
      proxyConfig({ upstream: echo.url, extra: 'skipPathRegex: ["^/"]', top: 'trustedProxies: []' }),
    );
    try {
      const res = await request(`${untrusting.url}/h`, {
        headers: { host: 'app.test', 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.test', forwarded: 'for=6.6.6.6' },
      });
      const seen = (await res.body.json()) as EchoRequest;
      expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(seen.headers['x-forwarded-proto']).toBe('http');
      expect(seen.headers['x-forwarded-host']).toBe('app.test');
      expect(seen.headers.forwarded).toBeUndefined();
    } finally {
      await untrusting.close();
    }
  });

  it('appends to X-Forwarded-For from a trusted proxy and believes its X-Forwarded-Proto', async () => {
    const res = await request(`${gw.url}/public/h`, {
      headers: { host: 'app.test', 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https' },
    });
    const seen = (await res.body.json()) as EchoRequest;
    expect(seen.headers['x-forwarded-for']).toBe('203.0.113.7, 127.0.0.1');
    expect(seen.headers['x-forwarded-proto']).toBe('https');
    expect(seen.headers['x-real-ip']).toBe('203.0.113.7');
  });

  it('does not relay the upstream response hop-by-hop headers', async () => {
    const res = await request(`${gw.url}/public/h`, { headers: { host: 'app.test' } });
    await res.body.text();
    expect(res.headers['x-upstream-hop']).toBeUndefined();
    expect(res.headers['keep-alive']).not.toBe('timeout=5');
  });
});

describe('upstream failures', () => {
  it('answers 502 with a page that names no internal host when the upstream refuses', async () => {
    const dead = await startGateway(proxyConfig({ upstream: 'http://127.0.0.1:9', extra: 'skipPathRegex: ["^/"]' }));
    try {
      const res = await request(`${dead.url}/x`, { headers: { host: 'app.test', accept: 'text/html' } });
      const text = await res.body.text();
      expect(res.statusCode).toBe(502);
      expect(res.headers['content-type']).toMatch(/text\/html/);
      expect(text).not.toContain('127.0.0.1');
      expect(text).not.toContain(':9');
    } finally {
      await dead.close();
    }
  });

  it('answers 504 when the upstream does not send headers within upstreamResponse', async () => {
    const res = await request(`${gw.url}/public/slow?ms=4000`, { headers: { host: 'app.test' } });
    const text = await res.body.text();
    expect(res.statusCode).toBe(504);
    expect(JSON.parse(text)).toMatchObject({ error: 'gateway_timeout' });
    expect(text).not.toContain(String(echo.port));
  });

  it('does not retry a GET when the upstream answers 503', async () => {
    let hits = 0;
    const flaky: Server = createServer((_req, res) => {
      hits += 1;
      res.writeHead(503, { 'retry-after': '1' }).end('busy');
    });
    await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve));
    const port = (flaky.address() as AddressInfo).port;
    const g = await startGateway(proxyConfig({ upstream: `http://127.0.0.1:${port}`, extra: 'skipPathRegex: ["^/"]' }));
    try {
      const res = await request(`${g.url}/x`, { headers: { host: 'app.test' } });
      await res.body.text();
      expect(res.statusCode).toBe(503);
      expect(hits).toBe(1);
    } finally {
      await g.close();
      await new Promise((resolve) => flaky.close(resolve));
    }
  });
});

describe('the Host the upstream receives', () => {
  it('is internalHost\'s by default, the client\'s in X-Forwarded-Host', async () => {
    const res = await request(`${gw.url}/public/host`, { headers: { host: 'app.test' } });
    const seen = JSON.parse(await res.body.text()) as EchoRequest;
    expect(seen.headers.host).toBe(new URL(echo.url).host);
    expect(seen.headers['x-forwarded-host']).toBe('app.test');
  });

  it('is the client\'s with preserveHost (as authentik\'s outpost sends it)', async () => {
    const preserving = await startGateway(proxyConfig({ upstream: echo.url, extra: 'skipPathRegex: ["^/public/"]\npreserveHost: true' }));
    try {
      const res = await request(`${preserving.url}/public/host`, { headers: { host: 'app.test:8443' } });
      const seen = JSON.parse(await res.body.text()) as EchoRequest;
      expect(seen.headers.host).toBe('app.test:8443');
      // One application answers every Host, but a Host that is not its name never reaches the
      // upstream (a forged Host would poison reset links and caches): externalHost's instead.
      const forged = await request(`${preserving.url}/public/host`, { headers: { host: 'evil.example' } });
      expect((JSON.parse(await forged.body.text()) as EchoRequest).headers.host).toBe('app.test');
      // A WebSocket upgrade too.
      const ws = new WebSocket(`${preserving.url.replace('http', 'ws')}/public/ws`, { headers: { host: 'app.test' } });
      const echoed = await new Promise<string>((resolve, reject) => {
        ws.on('message', (data) => resolve(data.toString()));
        ws.on('error', reject);
      });
      ws.close();
      expect((JSON.parse(echoed) as EchoRequest).headers.host).toBe('app.test');
    } finally {
      await preserving.close();
    }
  });
});
