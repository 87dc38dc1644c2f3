/**
 * No method is a way around authentication: HEAD and OPTIONS on a protected path are
 * challenged exactly like GET (a CORS preflight is not waved through: the gateway cannot tell a
 * preflight from an `OPTIONS` the application acts on), and so is every other method the proxy
 * forwards. Request targets other than origin-form (`http://evil/`, `*`, authority-form) are
 * refused before any decision, even with valid credentials.
 *
 * Absolute-form and `*` without credentials are also in test/upstream/path-normalization.test.ts.
 */

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, CHALLENGES, PASSWORDS, receivedWithTag, startAuthStack, TAG_HEADER, type AuthStack } from '../support/auth-stack.js';
import { exchange, finals, message, values, type WireResponse } from './wire.js';

const ALICE_CREDENTIAL = basic('alice', PASSWORDS.alice.cli);
const ALICE = `Authorization: ${ALICE_CREDENTIAL}`;
const BROWSER = 'Accept: text/html,application/xhtml+xml';
const PREFLIGHT = ['Origin: https://evil.example', 'Access-Control-Request-Method: DELETE', 'Access-Control-Request-Headers: authorization, content-type', 'Accept: */*'];

let stack: AuthStack;

beforeAll(async () => {
  stack = await startAuthStack();
  // The credential is checked at the IdP once, here; the cases below are answered from the cache.
  expect((await stack.get('/', { authorization: ALICE_CREDENTIAL })).status).toBe(200);
});
afterAll(async () => {
  await stack?.close();
});

/** One request over raw TCP; its single answer and whether the upstream saw it. */
async function ask(method: string, target: string, lines: readonly string[] = []): Promise<{ answer: WireResponse | undefined; forwarded: boolean; count: number }> {
  const tag = randomUUID();
  const before = stack.echo.received.length;
  const wire = await exchange(stack.gw.port, message([`${method} ${target} HTTP/1.1`, 'Host: app.test', `${TAG_HEADER}: ${tag}`, ...lines, 'Connection: close']), 5000);
  await new Promise((resolve) => setTimeout(resolve, 30));
  const answers = finals(wire);
  return { answer: answers[0], forwarded: receivedWithTag(stack.echo, tag) !== undefined || stack.echo.received.length > before, count: answers.length };
}

/** What a client can tell apart between two answers: status, challenges, Location. */
function shape(answer: WireResponse | undefined): unknown {
  return answer === undefined ? null : { status: answer.status, challenges: values(answer, 'www-authenticate'), location: values(answer, 'location') };
}

describe('HEAD and OPTIONS on a protected path without credentials', () => {
  it('HEAD is challenged like GET, with the same challenges and no body', async () => {
    const get = await ask('GET', '/reports');
    const head = await ask('HEAD', '/reports');
    expect(shape(head.answer)).toEqual(shape(get.answer));
    expect(values(head.answer!, 'www-authenticate')).toEqual([CHALLENGES.basic, CHALLENGES.bearer]);
    expect(head.forwarded).toBe(false);
  });

  it('HEAD from a browser is redirected to the login like GET', async () => {
    const get = await ask('GET', '/reports?x=1', [BROWSER]);
    const head = await ask('HEAD', '/reports?x=1', [BROWSER]);
    expect(get.answer?.status).toBe(302);
    expect(shape(head.answer)).toEqual(shape(get.answer));
    expect(head.forwarded).toBe(false);
  });

  it('a CORS preflight is challenged like GET: no Access-Control-Allow-* headers, nothing forwarded', async () => {
    const get = await ask('GET', '/api/items', PREFLIGHT.slice(0, 1));
    const preflight = await ask('OPTIONS', '/api/items', PREFLIGHT);
    expect(preflight.answer?.status).toBe(401);
    expect(shape(preflight.answer)).toEqual(shape(get.answer));
    expect(preflight.answer?.headers.some(([name]) => name.startsWith('access-control-'))).toBe(false);
    expect(preflight.forwarded).toBe(false);
  });

  it('OPTIONS from a browser is redirected like GET', async () => {
    const options = await ask('OPTIONS', '/api/items', [BROWSER]);
    expect(shape(options.answer)).toEqual(shape((await ask('GET', '/api/items', [BROWSER])).answer));
    expect(options.forwarded).toBe(false);
  });
});

describe('every other method without credentials', () => {
  const methods = ['POST', 'PUT', 'PATCH', 'DELETE', 'QUERY', 'PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'REPORT', 'SEARCH', 'MKCALENDAR'];
  it.each(methods)('%s is challenged and not forwarded', async (method) => {
    const result = await ask(method, '/dav/file', ['Content-Length: 0']);
    expect(result.answer?.status).toBe(401);
    expect(result.forwarded).toBe(false);
  });
});

describe('methods that are never forwarded, even with valid credentials', () => {
  it('TRACE (it would reflect the identity headers back): not allowed, nothing forwarded', async () => {
    const result = await ask('TRACE', '/', [ALICE]);
    expect(result.answer?.status).toBeGreaterThanOrEqual(400);
    expect(result.forwarded).toBe(false);
  });

  it('CONNECT to another host: no tunnel, nothing forwarded', async () => {
    const result = await ask('CONNECT', 'evil.example:443', [ALICE]);
    expect(result.answer === undefined || result.answer.status >= 400).toBe(true);
    expect(result.forwarded).toBe(false);
  });

  it('an unknown method: refused, nothing forwarded', async () => {
    const result = await ask('BREW', '/', [ALICE]);
    expect(result.answer === undefined || result.answer.status >= 400).toBe(true);
    expect(result.forwarded).toBe(false);
  });
});

describe('request targets that are not a path, with valid credentials', () => {
  it.each([
    ['GET', 'http://evil.example/'],
    // The application's host on another port (https: 443): no application's externalHost.
    ['GET', 'https://app.test/reports'],
    ['GET', 'http://app.test:8080/reports'],
    ['GET', '*'],
    ['OPTIONS', '*'],
    ['GET', 'app.test:80'],
  ])('%s %s: 400, nothing forwarded', async (method, target) => {
    const result = await ask(method, target, [ALICE]);
    expect(result.answer?.status).toBe(400);
    expect(result.forwarded).toBe(false);
  });

  it('http://app.test/reports names the application itself: forwarded in origin form (RFC 9112 §3.2.2)', async () => {
    const result = await ask('GET', 'http://app.test/reports', [ALICE]);
    expect(result.answer?.status).toBe(200);
    expect(stack.echo.received.at(-1)?.url).toBe('/reports');
  });

  it('//evil.example/reports is a path: it reaches the application as /evil.example/reports, not another host', async () => {
    const result = await ask('GET', '//evil.example/reports', [ALICE]);
    expect(result.answer?.status).toBe(200);
    expect(stack.echo.received.at(-1)?.url).toBe('/evil.example/reports');
  });
});
