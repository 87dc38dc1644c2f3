/**
 * `Expect: 100-continue` (RFC 9110 §10.1.1): a client that asks before sending its body gets
 * the final answer first when the request is refused, and `100 Continue` only once it is
 * allowed. A refused request's body is never asked for, never read and never forwarded, and
 * the connection is closed (the client may still be about to send the body). An allowed
 * request's body reaches the upstream, without the expectation (which the gateway answered).
 */

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, PASSWORDS, receivedWithTag, startAuthStack, TAG_HEADER, type AuthStack } from '../support/auth-stack.js';
import { message, parseResponses, values, WireConnection, type WireResponse } from './wire.js';

const ALICE_CREDENTIAL = basic('alice', PASSWORDS.alice.cli);
const ALICE = `Authorization: ${ALICE_CREDENTIAL}`;
const BODY = 'hello';

let stack: AuthStack;

beforeAll(async () => {
  stack = await startAuthStack();
  // The credential is checked at the IdP once, here; the cases below are answered from the cache.
  expect((await stack.get('/', { authorization: ALICE_CREDENTIAL })).status).toBe(200);
});
afterAll(async () => {
  await stack?.close();
});

function head(lines: readonly string[], tag: string): string {
  const [requestLine = '', ...rest] = lines;
  return message([requestLine, 'Host: app.test', `${TAG_HEADER}: ${tag}`, `Content-Length: ${BODY.length}`, 'Expect: 100-continue', ...rest]);
}

/** Sends the head only, as a client waiting for 100 Continue does, and reads until the server closes. */
async function refusedBeforeBody(lines: readonly string[]): Promise<{ responses: readonly WireResponse[]; closed: boolean; forwarded: boolean }> {
  const tag = randomUUID();
  const connection = await WireConnection.open(stack.gw.port);
  try {
    connection.write(head(lines, tag));
    await connection.waitFor(() => false, 5000);
    const { responses, closedByServer } = connection.exchange();
    return { responses, closed: closedByServer, forwarded: receivedWithTag(stack.echo, tag) !== undefined };
  } finally {
    connection.destroy();
  }
}

describe('a request that is refused', () => {
  it('without credentials: 401 first, no 100 Continue, the body never asked for, the connection closed', async () => {
    const { responses, closed, forwarded } = await refusedBeforeBody(['POST /upload HTTP/1.1', 'Accept: application/json']);
    expect(responses.map((r) => r.status)).toEqual([401]);
    expect(values(responses[0] as WireResponse, 'www-authenticate')).toHaveLength(2);
    expect(values(responses[0] as WireResponse, 'connection')).toEqual(['close']);
    expect(closed).toBe(true);
    expect(forwarded).toBe(false);
  });

  it('a browser without a session: the login redirect, no 100 Continue', async () => {
    const { responses, closed, forwarded } = await refusedBeforeBody(['POST /form HTTP/1.1', 'Accept: text/html']);
    expect(responses.map((r) => r.status)).toEqual([302]);
    expect(closed).toBe(true);
    expect(forwarded).toBe(false);
  });

  it('with wrong credentials: 401, no 100 Continue', async () => {
    const { responses, forwarded } = await refusedBeforeBody(['PUT /file HTTP/1.1', `Authorization: ${basic('alice', 'wrong')}`]);
    expect(responses.map((r) => r.status)).toEqual([401]);
    expect(forwarded).toBe(false);
  });

  it('a body sent anyway, hiding a second request, is neither read as a request nor forwarded', async () => {
    const tag = randomUUID();
    const hidden = message(['GET /smuggled HTTP/1.1', 'Host: app.test', ALICE, `${TAG_HEADER}: ${tag}-hidden`]);
    const connection = await WireConnection.open(stack.gw.port);
    try {
      // Content-Length covers the hidden request: to the gateway it can only ever be a body.
      connection.write(
        message(['POST / HTTP/1.1', 'Host: app.test', `${TAG_HEADER}: ${tag}`, `Content-Length: ${hidden.length}`, 'Expect: 100-continue']) + hidden,
      );
      await connection.waitFor(() => false, 5000);
      const { responses, closedByServer } = connection.exchange();
      expect(responses.map((r) => r.status)).toEqual([401]);
      expect(closedByServer).toBe(true);
    } finally {
      connection.destroy();
    }
    expect(receivedWithTag(stack.echo, tag)).toBeUndefined();
    expect(receivedWithTag(stack.echo, `${tag}-hidden`)).toBeUndefined();
  });
});

describe('a request that is allowed', () => {
  it('gets 100 Continue before it sends its body; the upstream gets the body without the expectation', async () => {
    const tag = randomUUID();
    const connection = await WireConnection.open(stack.gw.port);
    try {
      connection.write(head(['POST /upload HTTP/1.1', ALICE, 'Connection: close'], tag));
      expect(await connection.waitFor((received) => received.includes('\r\n\r\n'), 5000)).toBe(true);
      expect(connection.exchange().responses.map((r) => r.status)).toEqual([100]);
      connection.write(BODY);
      await connection.waitFor(() => false, 5000);
      expect(connection.exchange().responses.map((r) => r.status)).toEqual([100, 200]);
    } finally {
      connection.destroy();
    }
    const seen = receivedWithTag(stack.echo, tag);
    expect(seen?.body).toBe(BODY);
    expect(seen?.headers.expect).toBeUndefined();
    expect(seen?.headers['x-authentik-username']).toBe('alice');
  });
});

describe('with limits.maxRequestBody set', () => {
  // server.ts installs no `checkContinue` listener of its own: context.ts's sends 100 Continue
  // only once the request is allowed, and a body over the limit is refused before that.
  it('still sends no 100 Continue before refusing a request without credentials', async () => {
    const limited = await stack.gateway({ top: 'limits: { maxRequestBody: "1MiB" }' });
    const tag = randomUUID();
    const connection = await WireConnection.open(limited.gw.port);
    try {
      connection.write(head(['POST /upload HTTP/1.1', 'Accept: application/json'], tag));
      await connection.waitFor((received) => parseResponses(received).some((r) => r.status >= 200 && r.complete), 5000);
      expect(connection.exchange().responses.map((r) => r.status)).toEqual([401]);
    } finally {
      connection.destroy();
    }
    expect(receivedWithTag(stack.echo, tag)).toBeUndefined();
  });
});
