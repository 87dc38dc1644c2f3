/**
 * Faults between the gateway and the upstream, with a small upstream of the test's own that
 * misbehaves on cue. A response cut short by the upstream must reach the client as cut short
 * (a truncated body that looks complete is worse than an error: a client would act on half a
 * file); a client that goes away cancels its upstream request; no request is ever sent twice.
 *
 * The upstream refusing connections (502) and answering too slowly (504) are in
 * test/gateway/proxy.test.ts, as is "a GET answered with 503 is not retried".
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { proxyConfig, startGateway, type RunningGateway } from '../support/gateway.js';
import { pollUntil } from '../support/wait.js';
import { exchange, finals, message, WireConnection } from './wire.js';

const DECLARED = 100_000;
const SENT = 10_000;

interface Seen {
  readonly method: string;
  readonly url: string;
  /** ms after arrival when the upstream saw its request's connection go, or null while open. */
  closedAfterMs: number | null;
  bodyBytes: number;
}

let upstream: Server;
let gw: RunningGateway;
const seen: Seen[] = [];
/** Attempts per path, for the "never retried" cases. */
const attempts = new Map<string, number>();

function misbehave(req: IncomingMessage, res: ServerResponse): void {
  const arrived = performance.now();
  const record: Seen = { method: req.method ?? '', url: req.url ?? '', closedAfterMs: null, bodyBytes: 0 };
  seen.push(record);
  req.on('data', (chunk: Buffer) => (record.bodyBytes += chunk.length));
  res.on('close', () => (record.closedAfterMs = performance.now() - arrived));
  const path = (req.url ?? '').split('?')[0] ?? '';
  attempts.set(path, (attempts.get(path) ?? 0) + 1);
  switch (path) {
    case '/truncated-length':
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(DECLARED) });
      res.write(Buffer.alloc(SENT, 0x61));
      setTimeout(() => res.socket?.destroy(), 50);
      return;
    case '/truncated-chunked':
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write(Buffer.alloc(SENT, 0x62));
      setTimeout(() => res.socket?.destroy(), 50);
      return;
    case '/reset-first':
      if (attempts.get(path) === 1) {
        // Read the whole request first: the upstream may well have acted on it.
        req.resume();
        req.on('end', () => req.socket.destroy());
        return;
      }
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain' }).end('second attempt'));
      return;
    case '/hold':
      req.resume();
      return;
    case '/stream': {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const timer = setInterval(() => res.write(Buffer.alloc(16 * 1024, 0x63)), 10);
      res.on('close', () => clearInterval(timer));
      return;
    }
    default:
      res.writeHead(404).end();
  }
}

beforeAll(async () => {
  upstream = createServer(misbehave);
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  // Every path is a skip path: these faults are the proxy's, whoever the caller is.
  gw = await startGateway(proxyConfig({ upstream: url, extra: 'skipPathRegex: ["^/"]', top: 'timeouts: { upstreamResponse: "20s" }' }));
});
afterAll(async () => {
  await gw?.close();
  upstream?.closeAllConnections();
  await new Promise((resolve) => upstream?.close(resolve));
});
beforeEach(() => {
  seen.length = 0;
  attempts.clear();
});

describe('the upstream cutting its response short', () => {
  it('with Content-Length: the client gets fewer bytes than declared and the connection is cut', async () => {
    // Keep-alive on the client side: only closing the connection can tell the client.
    const wire = await exchange(gw.port, message(['GET /truncated-length HTTP/1.1', 'Host: app.test']), 5000);
    const [response] = finals(wire);
    expect(response?.status).toBe(200);
    expect(response?.framing).toBe('length');
    expect(response?.complete).toBe(false);
    expect(response?.body.length).toBeLessThan(DECLARED);
    expect(wire.closedByServer).toBe(true);
  });

  it('chunked: the terminating chunk never arrives and the connection is cut', async () => {
    const wire = await exchange(gw.port, message(['GET /truncated-chunked HTTP/1.1', 'Host: app.test']), 5000);
    const [response] = finals(wire);
    expect(response?.status).toBe(200);
    expect(response?.framing).toBe('chunked');
    expect(response?.complete).toBe(false);
    expect(wire.raw.toString('latin1').endsWith('0\r\n\r\n')).toBe(false);
    expect(wire.closedByServer).toBe(true);
  });

  it.each(['/truncated-length', '/truncated-chunked'])('%s: an HTTP client library sees an error, not a short body', async (path) => {
    const res = await request(`${gw.url}${path}`, { headers: { host: 'app.test' } });
    expect(res.statusCode).toBe(200);
    await expect(res.body.arrayBuffer()).rejects.toThrow();
  });
});

describe('requests are never replayed', () => {
  it.each([
    ['POST', 'name=value'],
    ['PUT', 'content'],
    ['DELETE', undefined],
    ['GET', undefined],
  ] as const)('%s reset by the upstream after it read the request: 502, exactly one attempt', async (method, body) => {
    const res = await request(`${gw.url}/reset-first`, { method, headers: { host: 'app.test', 'content-type': 'text/plain' }, ...(body === undefined ? {} : { body }) });
    const text = await res.body.text();
    expect(res.statusCode).toBe(502);
    expect(JSON.parse(text)).toMatchObject({ error: 'bad_gateway' });
    // A moment for a retry that should not come.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(attempts.get('/reset-first')).toBe(1);
    // The next request is a new attempt of its own (the path works; nothing was queued).
    const again = await request(`${gw.url}/reset-first`, { method, headers: { host: 'app.test', 'content-type': 'text/plain' }, ...(body === undefined ? {} : { body }) });
    expect(await again.body.text()).toBe('second attempt');
    expect(attempts.get('/reset-first')).toBe(2);
  });
});

describe('a client that goes away cancels its upstream request', () => {
  async function abandon(text: string, afterMs: number): Promise<void> {
    const connection = await WireConnection.open(gw.port);
    connection.write(text);
    await pollUntil('the upstream has the request', () => seen.length > 0, { timeoutMs: 5000, intervalMs: 10 });
    await new Promise((resolve) => setTimeout(resolve, afterMs));
    connection.destroy();
  }

  async function expectCancelled(): Promise<void> {
    await pollUntil('the upstream sees its request end', () => seen[0]?.closedAfterMs !== null, { timeoutMs: 3000, intervalMs: 20 });
    expect(seen).toHaveLength(1);
  }

  it('while waiting for the response headers (a GET without a body), logged as the client\'s doing', async () => {
    const failures = (): number => gw.logs().filter((line) => line.msg === 'upstream request failed').length;
    const before = failures();
    await abandon(message(['GET /hold HTTP/1.1', 'Host: app.test']), 100);
    await expectCancelled();
    await pollUntil('the cancellation is logged', () => gw.logs().some((line) => line.msg === 'client closed the connection; upstream request cancelled'));
    expect(failures()).toBe(before);
  });

  it('in the middle of an upload', async () => {
    await abandon(message(['POST /hold HTTP/1.1', 'Host: app.test', `Content-Length: ${DECLARED}`], 'x'.repeat(SENT)), 100);
    await expectCancelled();
    expect(seen[0]?.bodyBytes).toBeLessThan(DECLARED);
  });

  it('in the middle of a download', async () => {
    await abandon(message(['GET /stream HTTP/1.1', 'Host: app.test']), 200);
    await expectCancelled();
  });
});
