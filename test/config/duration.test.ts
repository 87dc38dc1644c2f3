import { describe, expect, it } from 'vitest';
import { cookieNameFor, parseDuration } from '../../src/config/index.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['24h', 86_400_000],
    ['1h30m', 5_400_000],
    ['1m30s', 90_000],
    ['1s500ms', 1_500],
    ['2h0m5s', 7_205_000],
    ['0s', 0],
    ['007s', 7_000],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '30', '1.5h', '5 m', ' 5m', '5M', '30m1h', '1h1h', 'ms', 'h', '1d', '-5s', '5mss', '99999999999999999999h'])(
    'rejects %j',
    (text) => {
      expect(parseDuration(text)).toBeNull();
    },
  );
});

describe('cookieNameFor', () => {
  it.each([
    ['portcullis', 'authentik_proxy_74e19dcd'],
    ['grafana-proxy', 'authentik_proxy_27ba10f0'],
  ])('names the cookie of client %s like authentik does', (clientId, name) => {
    expect(cookieNameFor(clientId)).toBe(name);
  });
});
