import { describe, expect, it } from 'vitest';
import { prepareUpstreamPlan, rewriteResponseHeaders, rewriteUpstreamHeaders, type HeaderMap } from '../../src/upstream/index.js';

const plan = prepareUpstreamPlan(
  { externalHost: 'http://app.test', additionalHeaders: {}, upstreamBasicAuth: { enabled: false, usernameAttribute: 'username', passwordAttribute: 'password' }, preserveHost: false },
  { application: 'app', outpost: 'portcullis', provider: 'app', jwks: '', version: '0' },
);
const facts = { peerAddress: '10.0.0.9', peerTrusted: false, clientAddress: '10.0.0.9', proto: 'http', host: 'app.test' } as const;
const upstream = (headers: HeaderMap): HeaderMap => rewriteUpstreamHeaders(headers, plan, facts, { identity: null, stripAuthorization: false, sessionCookie: null });

// RFC 9110 §7.6.1: a proxy removes Connection, and every header Connection names, in both directions.
const CASES: readonly (readonly [string, string | string[], readonly string[]])[] = [
  ['keep-alive', 'keep-alive', ['keep-alive']],
  ['Keep-Alive spelled as sent', 'Keep-Alive', ['keep-alive']],
  ['upgrade', 'Upgrade', ['upgrade']],
  ['a listed header', 'keep-alive, X-Secret', ['keep-alive', 'x-secret']],
  ['close with a header named close', 'close', ['close']],
  ['listed across two lines', ['keep-alive', 'x-secret'], ['keep-alive', 'x-secret']],
  ['host listed', 'keep-alive, Host', ['keep-alive']],
];

describe('Connection-listed headers', () => {
  it.each(CASES)('never pass, request or response (%s)', (_name, connection, dropped) => {
    const headers: HeaderMap = { host: 'app.test', connection, 'keep-alive': 'timeout=5', upgrade: 'websocket', 'x-secret': 's', close: 'c', 'x-kept': 'k' };
    for (const out of [upstream(headers), rewriteResponseHeaders(headers)]) {
      expect(out['connection']).toBeUndefined();
      for (const name of dropped) expect(out[name]).toBeUndefined();
      expect(out['x-kept']).toBe('k');
    }
    expect(upstream(headers)['x-secret'] === undefined).toBe(dropped.includes('x-secret'));
    // `Connection: host` must not cost the upstream its Host.
    expect(upstream(headers)['host']).toBe('app.test');
  });
});
