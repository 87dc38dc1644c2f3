/**
 * Request framing attacks over raw TCP (Node's and undici's clients would refuse to send them
 * or would normalize them away). A proxy and the application behind it must agree on where a
 * request starts and ends and on which host it is for; wherever the bytes allow two readings
 * the request is refused before anything reaches the upstream, even with valid credentials.
 * Each case names what must not reach the upstream; the echo upstream is checked to have
 * received nothing, or only the one intended, authenticated request.
 *
 * Duplicate credential lines are covered in test/auth-gateway/challenges.test.ts ("two
 * credential header lines"); here only mixes of a valid line with a forged one.
 */

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EchoRequest } from '../../src/demo/echo-upstream.js';
import { basic, bearer, PASSWORDS, receivedWithTag, startAuthStack, TAG_HEADER, type AuthStack } from '../support/auth-stack.js';
import { exchange, finals, message, values, type WireExchange } from './wire.js';

const ALICE_CREDENTIAL = basic('alice', PASSWORDS.alice.cli);
const ALICE = `Authorization: ${ALICE_CREDENTIAL}`;

let stack: AuthStack;
/** The same application with a skip path, where a body is forwarded without credentials. */
let open: AuthStack['gw'];

beforeAll(async () => {
  stack = await startAuthStack();
  open = (await stack.gateway({ app: 'skipPathRegex: ["^/public/"]' })).gw;
  // The credential is checked at the IdP once, here; the cases below are answered from the cache.
  expect((await stack.get('/', { authorization: ALICE_CREDENTIAL })).status).toBe(200);
});
afterAll(async () => {
  await stack?.close();
});

/** Sends `lines` + `body` with a fresh tag; what came back and what the upstream saw of it. */
async function send(lines: readonly string[], body = '', port = stack.gw.port): Promise<{ wire: WireExchange; upstream: EchoRequest[]; tag: string }> {
  const tag = randomUUID();
  const before = stack.echo.received.length;
  const [requestLine = '', ...rest] = lines;
  const wire = await exchange(port, message([requestLine, `${TAG_HEADER}: ${tag}`, ...rest], body));
  // A request the gateway forwarded after answering would show up a moment later.
  await new Promise((resolve) => setTimeout(resolve, 50));
  return { wire, upstream: stack.echo.received.slice(before), tag };
}

function expectRefused(result: { wire: WireExchange; upstream: EchoRequest[] }, status = 400): void {
  const answers = finals(result.wire);
  expect(answers.map((r) => r.status)).toEqual([status]);
  expect(result.upstream).toEqual([]);
  // The connection is not reused after a request whose end could not be told.
  expect(result.wire.closedByServer).toBe(true);
}

const POST = ['POST / HTTP/1.1', 'Host: app.test', ALICE];

describe('ambiguous message length, with valid credentials: refused, nothing forwarded', () => {
  // [name, header lines after POST / Host / credentials, body]
  const cases: [string, string[], string][] = [
    ['two equal Content-Length lines', ['Content-Length: 3', 'Content-Length: 3'], 'abc'],
    ['two different Content-Length lines', ['Content-Length: 3', 'Content-Length: 40'], 'abc'],
    ['a Content-Length list', ['Content-Length: 3, 3'], 'abc'],
    ['a signed Content-Length', ['Content-Length: +3'], 'abc'],
    ['Content-Length with Transfer-Encoding: chunked', ['Content-Length: 4', 'Transfer-Encoding: chunked'], '0\r\n\r\n'],
    ['Transfer-Encoding: chunked, identity', ['Transfer-Encoding: chunked, identity'], '0\r\n\r\n'],
    ['Transfer-Encoding: identity with Content-Length', ['Transfer-Encoding: identity', 'Content-Length: 3'], 'abc'],
    ['Transfer-Encoding: xchunked', ['Transfer-Encoding: xchunked'], '0\r\n\r\n'],
    ['Transfer-Encoding: " chunked" with Content-Length', ['Content-Length: 5', 'Transfer-Encoding:  chunked'], '0\r\n\r\n'],
    ['Transfer-Encoding folded onto the next line (obs-fold)', ['Transfer-Encoding:', ' chunked'], '0\r\n\r\n'],
    ['a space between Transfer-Encoding and the colon', ['Transfer-Encoding : chunked'], '0\r\n\r\n'],
    ['two Transfer-Encoding: chunked lines', ['Transfer-Encoding: chunked', 'Transfer-Encoding: chunked'], '3\r\nabc\r\n0\r\n\r\n'],
    ['a chunk size that overflows', ['Transfer-Encoding: chunked'], 'ffffffffffffffffff1\r\nabc\r\n0\r\n\r\n'],
    ['a chunk size that is not hex', ['Transfer-Encoding: chunked'], 'zz\r\nabc\r\n0\r\n\r\n'],
  ];
  it.each(cases)('%s', async (_name, lines, body) => {
    expectRefused(await send([...POST, ...lines, 'Connection: close'], body));
  });

  it('Transfer-Encoding: chunked, chunked in one line is 400: the coding is applied once or the length is unknown', async () => {
    expectRefused(await send([...POST, 'Transfer-Encoding: chunked, chunked', 'Connection: close'], '3\r\nabc\r\n0\r\n\r\n'));
  });

  it('Transfer-Encoding: gzip, chunked is 501: only the chunked coding is undone, the upstream would take gzip for the body', async () => {
    expectRefused(await send([...POST, 'Transfer-Encoding: gzip, chunked', 'Connection: close'], '3\r\nabc\r\n0\r\n\r\n'), 501);
  });
});

describe('lenient spellings Node accepts are decoded once, and the upstream gets a plainly framed body', () => {
  it.each([
    ['" chunked" (leading whitespace)', 'Transfer-Encoding:  chunked'],
    ['a tab before the value', 'Transfer-Encoding:\tchunked'],
    ['CHUNKED', 'Transfer-Encoding: CHUNKED'],
  ])('%s', async (_name, line) => {
    const result = await send([...POST, line, 'Connection: close'], '3\r\nabc\r\n0\r\n\r\n');
    expect(finals(result.wire).map((r) => r.status)).toEqual([200]);
    const seen = receivedWithTag(stack.echo, result.tag);
    expect(seen?.body).toBe('abc');
    expect(seen?.headers['content-length']).toBe('3');
    expect(seen?.headers['transfer-encoding']).toBeUndefined();
  });

  it('chunk extensions and trailers stay at the gateway: a trailer cannot add an identity header', async () => {
    const body = '3;name=value\r\nabc\r\n0\r\nX-Authentik-Username: root\r\nAuthorization: Basic Zm9vOmJhcg==\r\n\r\n';
    const result = await send([...POST, 'Transfer-Encoding: chunked', 'Trailer: X-Authentik-Username', 'Connection: close'], body);
    expect(finals(result.wire).map((r) => r.status)).toEqual([200]);
    const seen = receivedWithTag(stack.echo, result.tag);
    expect(seen?.body).toBe('abc');
    expect(seen?.headers['x-authentik-username']).toBe('alice');
    expect(seen?.headers.authorization).toBeUndefined();
    expect(seen?.headers.trailer).toBeUndefined();
  });
});

describe('malformed header lines, with valid credentials: refused, nothing forwarded', () => {
  it.each([
    ['obs-fold in another header', [...POST, 'X-Note: first', ' second']],
    ['obs-fold inside the credentials', ['GET / HTTP/1.1', 'Host: app.test', `Authorization: Basic`, ` ${ALICE_CREDENTIAL.slice('Basic '.length)}`]],
    ['a NUL in a header value', [...POST, 'X-Note: a\u0000b']],
    ['a NUL in a header name', [...POST, 'X-No\u0000te: a']],
    ['a bare CR inside a header line', [...POST, 'X-Note: a\rX-Authentik-Username: root']],
    ['a space inside a header name', [...POST, 'X Note: a']],
  ])('%s', async (_name, lines) => {
    expectRefused(await send([...lines, 'Content-Length: 0', 'Connection: close']));
  });

  it('bare LF line endings throughout', async () => {
    const tag = randomUUID();
    const before = stack.echo.received.length;
    const wire = await exchange(stack.gw.port, ['GET / HTTP/1.1', 'Host: app.test', `${TAG_HEADER}: ${tag}`, ALICE, 'Connection: close', '', ''].join('\n'));
    expectRefused({ wire, upstream: stack.echo.received.slice(before) });
  });

  it('one bare LF among CRLF lines (a second header line hidden from a CRLF-only reader)', async () => {
    const tag = randomUUID();
    const before = stack.echo.received.length;
    const wire = await exchange(stack.gw.port, `GET / HTTP/1.1\r\nHost: app.test\r\n${TAG_HEADER}: ${tag}\r\n${ALICE}\r\nX-Note: a\nX-Authentik-Username: root\r\nConnection: close\r\n\r\n`);
    expectRefused({ wire, upstream: stack.echo.received.slice(before) });
  });
});

describe('the Host a request is for', () => {
  it.each([
    ['two identical Host lines', ['Host: app.test', 'Host: app.test']],
    ['the application first, another host second', ['Host: app.test', 'Host: evil.test']],
    ['another host first, the application second', ['Host: evil.test', 'Host: app.test']],
    ['a Host list', ['Host: app.test, evil.test']],
  ])('%s: 400 (RFC 9112 §3.2), even with valid credentials', async (_name, hosts) => {
    expectRefused(await send(['GET / HTTP/1.1', ...hosts, ALICE, 'Connection: close']));
  });
});

describe('a valid credential line next to a forged one', () => {
  it.each([
    ['valid first', [ALICE, 'Authorization: Bearer forged.token.value'], 401],
    // Two credentials behind Bearer: RFC 6750 §3.1 invalid_request.
    ['forged first', ['Authorization: Bearer forged.token.value', ALICE], 400],
    ['valid Basic next to a forged Bearer in another case', [ALICE, `AUTHORIZATION: ${bearer('forged')}`], 401],
  ])('%s: %i, nothing forwarded', async (_name, credentialLines, status) => {
    expectRefused(await send(['GET / HTTP/1.1', 'Host: app.test', ...(credentialLines as string[]), 'Connection: close']), status as number);
  });
});

describe('a second request hidden in the body of an unauthenticated one', () => {
  const hidden = message(['GET /smuggled HTTP/1.1', 'Host: app.test', ALICE, `${TAG_HEADER}: smuggled`]);
  const ping = message(['GET /outpost.goauthentik.io/ping HTTP/1.1', 'Host: app.test', 'Connection: close']);

  function expectNeverForwarded(result: { wire: WireExchange; upstream: EchoRequest[] }, statuses: number[]): void {
    expect(finals(result.wire).map((r) => r.status)).toEqual(statuses);
    expect(result.upstream).toEqual([]);
    expect(stack.echo.received.some((r) => r.url.includes('smuggled'))).toBe(false);
  }

  it('in a Content-Length body: read and discarded as a body, then the next request is answered on its own', async () => {
    const result = await send(['POST / HTTP/1.1', 'Host: app.test', `Content-Length: ${hidden.length}`], `${hidden}${ping}`);
    expectNeverForwarded(result, [401, 204]);
  });

  it('in a chunked body: the same', async () => {
    const body = `${hidden.length.toString(16)}\r\n${hidden}\r\n0\r\n\r\n${ping}`;
    expectNeverForwarded(await send(['POST / HTTP/1.1', 'Host: app.test', 'Transfer-Encoding: chunked'], body), [401, 204]);
  });

  it('after a chunked body that ends early, with a Content-Length that says otherwise (CL.TE): 400', async () => {
    const result = await send(['POST / HTTP/1.1', 'Host: app.test', 'Content-Length: 4', 'Transfer-Encoding: chunked'], `0\r\n\r\n${hidden}`);
    expectRefused(result);
  });

  it('behind a Content-Length shorter than the chunked body (TE.CL): 400', async () => {
    const result = await send(['POST / HTTP/1.1', 'Host: app.test', 'Transfer-Encoding: chunked', 'Content-Length: 3'], `${hidden.length.toString(16)}\r\n${hidden}\r\n0\r\n\r\n`);
    expectRefused(result);
  });

  it('on a skip path, a body that looks like a request reaches the upstream as that request\'s body, once', async () => {
    const result = await send(['POST /public/form HTTP/1.1', 'Host: app.test', `Content-Length: ${hidden.length}`, 'Connection: close'], hidden, open.port);
    expect(finals(result.wire).map((r) => r.status)).toEqual([200]);
    expect(result.upstream).toHaveLength(1);
    expect(result.upstream[0]).toMatchObject({ method: 'POST', url: '/public/form', body: hidden });
  });
});

describe('pipelined requests on one connection', () => {
  it('are each authenticated on their own: the connection carries no identity', async () => {
    const first = randomUUID();
    const second = randomUUID();
    const before = stack.echo.received.length;
    const wire = await exchange(
      stack.gw.port,
      message(['GET /first HTTP/1.1', 'Host: app.test', ALICE, `${TAG_HEADER}: ${first}`]) +
        message(['GET /second HTTP/1.1', 'Host: app.test', `${TAG_HEADER}: ${second}`, 'Connection: close']),
    );
    const answers = finals(wire);
    expect(answers.map((r) => r.status)).toEqual([200, 401]);
    expect(values(answers[1] as (typeof answers)[number], 'www-authenticate')).toHaveLength(2);
    expect(stack.echo.received.slice(before).map((r) => r.url)).toEqual(['/first']);
    expect(receivedWithTag(stack.echo, second)).toBeUndefined();
  });
});
