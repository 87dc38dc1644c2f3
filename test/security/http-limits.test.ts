/**
 * Issue "Hardening", item 4: request limits and timeouts. Oversized headers get 431 and
 * over-long targets 414, with no IdP call; a configured body limit gets 413 without the
 * upstream receiving a complete body; a client trickling its headers (slowloris) is cut off
 * by `timeouts.headers` while other clients are served. Raw TCP where a client library would
 * not send the request as the test needs it.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, PASSWORDS } from '../support/auth-stack.js';
import { firstStatus, openRawSocket } from '../support/raw-socket.js';
import { startRecordingUpstream, type RecordingUpstream } from '../support/recording-upstream.js';
import { PROXY_HOST, startSecurityStack, tokenCallsDuring, type SecurityGateway, type SecurityStack } from '../support/security-stack.js';
import { pollUntil } from '../support/wait.js';

const ALICE = basic('alice', PASSWORDS.alice.cli);

let stack: SecurityStack;
let upstream: RecordingUpstream;

beforeAll(async () => {
  stack = await startSecurityStack();
  upstream = await startRecordingUpstream();
});
afterAll(async () => {
  await stack?.close();
  await upstream?.close();
});

function head(lines: readonly string[], path = '/upload', method = 'POST'): string {
  return [`${method} ${path} HTTP/1.1`, `Host: ${PROXY_HOST}`, `Authorization: ${ALICE}`, ...lines, '', ''].join('\r\n');
}

function json(text: string): unknown {
  return JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4));
}

describe('header and target size, with the defaults', () => {
  let gw: SecurityGateway;
  beforeAll(async () => {
    gw = await stack.gateway({ upstream: upstream.url });
  });

  it('answers headers over 16 KiB with 431 and closes, before any IdP call', async () => {
    const calls = await tokenCallsDuring(stack.idp, async () => {
      const socket = await openRawSocket(gw.port);
      await socket.write(head(['X-Filler: ' + 'a'.repeat(17 * 1024)], '/private', 'GET'));
      const text = await socket.waitFor('a response', (t) => t.includes('\r\n\r\n') && t.endsWith('}'));
      expect(firstStatus(text)).toBe(431);
      expect(json(text)).toEqual({ error: 'request_header_fields_too_large', message: 'The request headers are too large.' });
      await socket.closed();
    });
    expect(calls).toBe(0);
    expect(upstream.requests).toHaveLength(0);
  });

  it('answers a target over 8 KiB with 414, before any IdP call, and takes one of exactly 8 KiB', async () => {
    const long = `/private?q=${'x'.repeat(8192)}`;
    const calls = await tokenCallsDuring(stack.idp, async () => {
      const reply = await gw.send(long, { headers: { authorization: ALICE } });
      expect(reply.status).toBe(414);
      expect(JSON.parse(reply.text)).toEqual({ error: 'uri_too_long', message: 'The request target is too long.' });
    });
    expect(calls).toBe(0);
    expect(upstream.requests).toHaveLength(0);
    const longest = `/private?q=${'x'.repeat(8192 - '/private?q='.length)}`;
    expect((await gw.send(longest, { headers: { authorization: ALICE } })).status).toBe(200);
    expect(upstream.requests.at(-1)?.url).toBe(longest);
  });
});

describe('header and target size, configured', () => {
  it('applies limits.maxHeaderSize and limits.maxUrlLength', async () => {
    const gw = await stack.gateway({ upstream: upstream.url, top: 'limits: { maxHeaderSize: "4KiB", maxUrlLength: 1024 }' });
    const socket = await openRawSocket(gw.port);
    await socket.write(head(['X-Filler: ' + 'a'.repeat(5000)], '/private', 'GET'));
    expect(firstStatus(await socket.waitFor('a response', (t) => t.endsWith('}')))).toBe(431);
    expect((await gw.send(`/${'a'.repeat(1024)}`)).status).toBe(414);
    expect((await gw.send(`/${'a'.repeat(1022)}`)).status).toBe(401);
  });
});

describe('limits.maxRequestBody', () => {
  let gw: SecurityGateway;
  const LIMIT = 64 * 1024;
  beforeAll(async () => {
    gw = await stack.gateway({ upstream: upstream.url, top: 'limits: { maxRequestBody: "64KiB" }' });
    // Alice's app password is checked once here; later requests are answered from the cache.
    expect((await gw.send('/warm-up', { headers: { authorization: ALICE } })).status).toBe(200);
  });

  it('refuses a declared Content-Length over the limit with 413 before the upstream or the IdP is contacted', async () => {
    const before = upstream.requests.length;
    const calls = await tokenCallsDuring(stack.idp, async () => {
      const socket = await openRawSocket(gw.port);
      await socket.write(head([`Content-Length: ${LIMIT + 1}`, 'Content-Type: application/octet-stream']));
      const text = await socket.waitFor('a response', (t) => t.endsWith('}'));
      expect(firstStatus(text)).toBe(413);
      expect(text.toLowerCase()).toContain('connection: close');
      expect(json(text)).toEqual({ error: 'content_too_large', message: 'The request body is too large.' });
      await socket.closed();
    });
    expect(calls).toBe(0);
    expect(upstream.requests.length).toBe(before);
  });

  it('answers `Expect: 100-continue` over the limit with 413 and never invites the body', async () => {
    const socket = await openRawSocket(gw.port);
    await socket.write(head([`Content-Length: ${10 * LIMIT}`, 'Expect: 100-continue']));
    const text = await socket.waitFor('a response', (t) => t.endsWith('}'));
    expect(firstStatus(text)).toBe(413);
    expect(text).not.toContain('100 Continue');
  });

  it('invites a body within the limit with 100 Continue and forwards it whole', async () => {
    const before = upstream.requests.length;
    const socket = await openRawSocket(gw.port);
    await socket.write(head([`Content-Length: ${LIMIT}`, 'Expect: 100-continue', 'Connection: close']));
    await socket.waitFor('100 Continue', (t) => t.startsWith('HTTP/1.1 100 Continue'));
    await socket.write(Buffer.alloc(LIMIT, 1));
    await socket.closed();
    const text = socket.received();
    expect(text).toContain('HTTP/1.1 200 OK');
    expect(text).toContain(JSON.stringify({ bytes: LIMIT }));
    expect(upstream.requests.length).toBe(before + 1);
    expect(upstream.requests.at(-1)).toMatchObject({ bytes: LIMIT, state: 'complete' });
  });

  it('cuts a chunked body at the limit: 413 for the client, an aborted request for the upstream', async () => {
    const before = upstream.requests.length;
    const socket = await openRawSocket(gw.port);
    await socket.write(head(['Transfer-Encoding: chunked', 'Content-Type: application/octet-stream']));
    const chunk = Buffer.alloc(16 * 1024, 2);
    for (let i = 0; i < 6 && !socket.isClosed && firstStatus(socket.received()) === 0; i += 1) {
      await socket.write(Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const text = await socket.waitFor('a response', (t) => t.endsWith('}'));
    expect(firstStatus(text)).toBe(413);
    await socket.closed();
    // The upstream may have seen the start of the body, never its end.
    await pollUntil('the upstream request is over', () => upstream.requests.length === before || upstream.requests.at(-1)?.state !== 'receiving');
    for (const request of upstream.requests.slice(before)) {
      expect(request.state).toBe('aborted');
      expect(request.bytes).toBeLessThanOrEqual(LIMIT);
    }
  });

  it('forwards a chunked body within the limit whole', async () => {
    const socket = await openRawSocket(gw.port);
    await socket.write(head(['Transfer-Encoding: chunked', 'Connection: close']));
    const chunk = Buffer.alloc(16 * 1024, 3);
    for (let i = 0; i < 4; i += 1) {
      await socket.write(Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]));
    }
    await socket.write('0\r\n\r\n');
    await socket.closed();
    expect(firstStatus(socket.received())).toBe(200);
    expect(upstream.requests.at(-1)).toMatchObject({ bytes: 4 * chunk.length, state: 'complete' });
  });
});

describe('timeouts', () => {
  it('closes a client trickling its headers one byte a second (slowloris) at timeouts.headers, serving others meanwhile', async () => {
    const gw = await stack.gateway({ upstream: upstream.url, top: 'timeouts: { headers: "2s", request: "10s" }' });
    const slow = await openRawSocket(gw.port);
    const started = performance.now();
    await slow.write(`GET /outpost.goauthentik.io/ping HTTP/1.1\r\nHost: ${PROXY_HOST}\r\nX-Slow: `);
    const trickle = (async () => {
      while (!slow.isClosed && performance.now() - started < 15_000) {
        await slow.write('a');
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const other = await gw.send('/outpost.goauthentik.io/ping');
    expect(other.status).toBe(204);
    expect(slow.isClosed).toBe(false);
    const closedAt = await slow.closed(12_000);
    await trickle;
    // 2 s of headers timeout, checked every second: well within 8 s even on a busy machine.
    expect(closedAt - started).toBeLessThan(8_000);
    expect(firstStatus(slow.received())).toBe(408);
    expect(slow.received()).toContain('"error":"request_timeout"');
  });

  it('closes a request whose body does not arrive within timeouts.request with 408', async () => {
    const gw = await stack.gateway({ upstream: upstream.url, top: 'timeouts: { headers: "1s", request: "2s" }' });
    expect((await gw.send('/warm-up', { headers: { authorization: ALICE } })).status).toBe(200);
    const socket = await openRawSocket(gw.port);
    const started = performance.now();
    await socket.write(head(['Content-Length: 100']));
    await socket.write('only a part of the body');
    const closedAt = await socket.closed(12_000);
    expect(closedAt - started).toBeLessThan(8_000);
    expect(firstStatus(socket.received())).toBe(408);
  });

  it('closes an idle keep-alive connection after timeouts.keepAlive', async () => {
    const gw = await stack.gateway({ upstream: upstream.url, top: 'timeouts: { keepAlive: "1s" }' });
    const socket = await openRawSocket(gw.port);
    await socket.write(`GET /outpost.goauthentik.io/ping HTTP/1.1\r\nHost: ${PROXY_HOST}\r\n\r\n`);
    await socket.waitFor('the ping answer', (t) => firstStatus(t) === 204);
    const answeredAt = performance.now();
    const closedAt = await socket.closed(10_000);
    expect(closedAt - answeredAt).toBeGreaterThanOrEqual(500);
    expect(closedAt - answeredAt).toBeLessThan(6_000);
  });
});
