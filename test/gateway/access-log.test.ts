/**
 * The access log through a running gateway: exactly one line per request, written when the
 * response is done, with what the request was decided as; none of Fastify's own request lines;
 * never the credential or the query string.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, PASSWORDS, startAuthStack, type AuthStack } from '../support/auth-stack.js';

let stack: AuthStack;

beforeAll(async () => {
  stack = await startAuthStack();
});
afterAll(async () => {
  await stack?.close();
});

function requestLines(path: string): Record<string, unknown>[] {
  return stack.gw.logs().filter((line) => line.msg === 'request' && line.path === path);
}

describe('access log', () => {
  it('writes one line per request, with its outcome, method, user and status', async () => {
    const allowed = await stack.get('/log/allowed?token=query-secret', { authorization: basic('bob', PASSWORDS.bob.cli) });
    const challenged = await stack.get('/log/challenged', { 'x-authentik-no-redirect': '1' });
    expect(allowed.status).toBe(200);
    expect(challenged.status).toBe(401);

    const [first, ...moreFirst] = requestLines('/log/allowed');
    expect(moreFirst).toEqual([]);
    expect(first).toMatchObject({ level: 30, app: 'app', method: 'GET', status: 200, outcome: 'allow', authMethod: 'basic', user: 'bob', client: '127.0.0.1' });
    expect(typeof first?.reqId).toBe('string');
    expect(typeof first?.durationMs).toBe('number');

    const [second, ...moreSecond] = requestLines('/log/challenged');
    expect(moreSecond).toEqual([]);
    expect(second).toMatchObject({ app: 'app', status: 401, outcome: 'challenge', authMethod: null, user: null });
    expect(second?.reqId).not.toBe(first?.reqId);
  });

  it('logs a request no application can take, and none of Fastify\'s own request lines', async () => {
    const unknown = await stack.get('/log/unknown', { host: 'no@host' });
    expect(unknown.status).toBe(400);
    const lines = stack.gw.logs();
    const refused = lines.filter((line) => line.msg === 'request' && line.status === 400 && line.app === null);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(refused.at(-1)).toMatchObject({ outcome: null, path: null });
    expect(lines.filter((line) => line.msg === 'incoming request' || line.msg === 'request completed')).toEqual([]);
  });

  it('never writes the credential or the query string', async () => {
    await stack.get('/log/secret?code=query-secret', { authorization: basic('alice', PASSWORDS.alice.cli) });
    const text = JSON.stringify(stack.gw.logs());
    expect(text).not.toContain(PASSWORDS.alice.cli);
    expect(text).not.toContain(Buffer.from(`alice:${PASSWORDS.alice.cli}`).toString('base64'));
    expect(text).not.toContain('query-secret');
  });
});
