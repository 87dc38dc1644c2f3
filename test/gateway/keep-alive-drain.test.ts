import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { proxyConfig, startGateway } from '../support/gateway.js';

let upstream: Server;
let upstreamUrl: string;

beforeAll(async () => {
  // Answers after 400 ms, so a request is still in flight when the gateway starts draining.
  upstream = createServer((_req, res) => setTimeout(() => res.end('slow'), 400));
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});
afterAll(async () => {
  upstream.closeAllConnections();
  await new Promise((resolve) => upstream.close(resolve));
});

describe('draining keep-alive connections', () => {
  it('answers the request in flight with Connection: close and closes without waiting for the idle timeout', async () => {
    const gw = await startGateway(proxyConfig({ upstream: upstreamUrl, extra: 'skipPathRegex: ["^/public/"]', top: 'timeouts: { keepAlive: 60s }' }));
    const client = new Agent({ keepAliveTimeout: 60_000 });
    try {
      // A first request leaves an idle keep-alive connection; the second is in flight at close.
      const first = await request(`${gw.url}/public/a`, { headers: { host: 'app.test' }, dispatcher: client });
      await first.body.text();
      expect(first.headers['connection']).toBe('keep-alive');
      const inFlight = request(`${gw.url}/public/b`, { headers: { host: 'app.test' }, dispatcher: client });
      await new Promise((resolve) => setTimeout(resolve, 150));
      const started = Date.now();
      const closing = gw.close();
      const res = await inFlight;
      expect(await res.body.text()).toBe('slow');
      expect(res.statusCode).toBe(200);
      expect(res.headers['connection']).toBe('close');
      await closing;
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await client.close();
    }
  });
});
