/**
 * Protocol switches over raw TCP. `Upgrade: h2c` is never honoured nor passed on as an
 * upgrade (h2c smuggling: a proxy that tunnels an upgraded connection lets every later HTTP/2
 * request through undecided), and a WebSocket upgrade on a protected path is decided like any
 * request: without valid credentials there is no `101` and the upstream is never contacted,
 * not even a TCP connection. The upstream here counts every connection it accepts.
 *
 * The WebSocket happy path and the unauthenticated case through the `ws` client are in
 * test/gateway/proxy.test.ts.
 */

import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { startDevIdp, type DevIdp } from '../../src/devidp/index.js';
import { basic, PASSWORDS, USERS_FILE } from '../support/auth-stack.js';
import { proxyConfig, startGateway, type RunningGateway } from '../support/gateway.js';
import { exchange, finals, message, values, WireConnection } from './wire.js';

const ALICE_CREDENTIAL = basic('alice', PASSWORDS.alice.cli);
const ALICE = `Authorization: ${ALICE_CREDENTIAL}`;
const WS_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const H2C = ['Connection: Upgrade, HTTP2-Settings', 'Upgrade: h2c', 'HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA'];
const WEBSOCKET = ['Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', `Sec-WebSocket-Key: ${WS_KEY}`];

/** An upstream that answers HTTP and WebSocket and counts TCP connections and requests. */
interface CountingUpstream {
  readonly url: string;
  connections: number;
  readonly requests: { url: string; headers: Record<string, string | string[] | undefined> }[];
  close(): Promise<void>;
}

async function startCountingUpstream(): Promise<CountingUpstream> {
  const state: CountingUpstream = { url: '', connections: 0, requests: [], close: async () => {} };
  const server: Server = createServer((req, res) => {
    state.requests.push({ url: req.url ?? '', headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ headers: req.headers }));
  });
  server.on('connection', () => (state.connections += 1));
  const wss = new WebSocketServer({ server });
  wss.on('connection', (socket, req) => {
    state.requests.push({ url: req.url ?? '', headers: req.headers });
    socket.send('hello');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(state, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  });
}

let idp: DevIdp;
let upstream: CountingUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  idp = await startDevIdp({ users: USERS_FILE });
  upstream = await startCountingUpstream();
  gw = await startGateway(proxyConfig({ upstream: upstream.url, issuer: idp.issuer }));
  // The credential is checked at the IdP once, here; the cases below are answered from the cache.
  expect(finals(await exchange(gw.port, message(['GET / HTTP/1.1', 'Host: app.test', ALICE, 'Connection: close'])))[0]?.status).toBe(200);
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  await idp?.close();
});

async function upgrade(path: string, lines: readonly string[]) {
  const before = { connections: upstream.connections, requests: upstream.requests.length };
  const wire = await exchange(gw.port, message([`GET ${path} HTTP/1.1`, 'Host: app.test', `X-Test-Tag: ${randomUUID()}`, ...lines]), 5000);
  await new Promise((resolve) => setTimeout(resolve, 50));
  return {
    statuses: wire.responses.map((r) => r.status),
    wire,
    connections: upstream.connections - before.connections,
    requests: upstream.requests.slice(before.requests),
  };
}

describe('Upgrade: h2c', () => {
  it('without credentials: 401, the upstream never contacted', async () => {
    const result = await upgrade('/', [...H2C, 'Accept: application/json']);
    expect(result.statuses).toEqual([401]);
    expect(result.connections).toBe(0);
  });

  it('with valid credentials: never 101, never passed on as an upgrade, the connection closed', async () => {
    const result = await upgrade('/', [ALICE, ...H2C]);
    expect(result.statuses).not.toContain(101);
    expect(finals(result.wire).map((r) => r.status)).toEqual([400]);
    expect(result.wire.closedByServer).toBe(true);
    expect(result.requests).toEqual([]);
    expect(result.connections).toBe(0);
  });

  it('without Connection: Upgrade it is a plain request: forwarded once, with no Upgrade or Connection: upgrade', async () => {
    const result = await upgrade('/', [ALICE, 'Upgrade: h2c', 'HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA', 'Connection: close']);
    expect(result.statuses).toEqual([200]);
    expect(result.requests).toHaveLength(1);
    const headers = result.requests[0]?.headers ?? {};
    expect(headers.upgrade).toBeUndefined();
    expect(String(headers.connection ?? '')).not.toMatch(/upgrade/i);
  });

  it('an h2 connection preface is not a request: 400, nothing forwarded', async () => {
    const before = { connections: upstream.connections, requests: upstream.requests.length };
    const wire = await exchange(gw.port, 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 5000);
    expect(finals(wire).map((r) => r.status)).toEqual([400]);
    expect(upstream.connections - before.connections).toBe(0);
  });
});

describe('WebSocket upgrades on a protected path', () => {
  it('without credentials: 401, no 101, the upstream never contacted', async () => {
    const result = await upgrade('/socket', [...WEBSOCKET]);
    expect(result.statuses).toEqual([401]);
    expect(values(result.wire.responses[0]!, 'www-authenticate')).toHaveLength(2);
    expect(result.connections).toBe(0);
  });

  it('from a browser without a session: the login redirect, no 101', async () => {
    const result = await upgrade('/socket', [...WEBSOCKET, 'Accept: text/html']);
    expect(result.statuses).toEqual([302]);
    expect(result.connections).toBe(0);
  });

  it.each([
    ['a wrong password', `Authorization: ${basic('alice', 'wrong')}`],
    ['a forged Bearer token', 'Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln'],
    ['a forged session cookie', 'Cookie: authentik_proxy_74e19dcd=forged.value'],
  ])('with %s: 401, the upstream never contacted', async (_name, line) => {
    const result = await upgrade('/socket', [...WEBSOCKET, line]);
    expect(result.statuses).toEqual([401]);
    expect(result.connections).toBe(0);
  });

  it('on a reserved path: answered there (404), never upgraded', async () => {
    const result = await upgrade('/outpost.goauthentik.io/socket', [...WEBSOCKET, ALICE]);
    expect(result.statuses).toEqual([404]);
    expect(result.connections).toBe(0);
  });

  it('with valid credentials: 101 from the upstream, which gets the identity and not the credentials (control)', async () => {
    const before = upstream.requests.length;
    const connection = await WireConnection.open(gw.port);
    try {
      connection.write(message(['GET /socket HTTP/1.1', 'Host: app.test', ...WEBSOCKET, ALICE]));
      // The upstream's first frame ("hello") arrives once the tunnel stands.
      expect(await connection.waitFor((received) => received.includes('hello'), 5000)).toBe(true);
      expect(connection.exchange().responses[0]?.status).toBe(101);
    } finally {
      connection.destroy();
    }
    const seen = upstream.requests.slice(before);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.headers['x-authentik-username']).toBe('alice');
    expect(seen[0]?.headers.authorization).toBeUndefined();
  });
});
