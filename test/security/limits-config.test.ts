/**
 * Validation of the hardening keys: `limits.*` and the new `timeouts.*`. Defaults are safe,
 * every problem names its dotted key, and combinations Node would refuse (or that could never
 * take effect) are rejected while validating, not at start-up.
 */

import { describe, expect, it } from 'vitest';
import { configReferenceMarkdown } from '../../src/config/index.js';
import { docWith, parseDoc, problemsOf } from '../config/helpers.js';

function withLimits(limits: unknown, timeouts?: unknown) {
  return docWith((doc) => {
    doc['limits'] = limits;
    if (timeouts !== undefined) doc['timeouts'] = timeouts;
  });
}

describe('defaults', () => {
  it('are Node\'s header size, an 8 KiB target, no body limit, 10 per user and 50 per address in 5 minutes', () => {
    const config = parseDoc(docWith(() => {}));
    expect(config.limits).toStrictEqual({
      maxHeaderSize: 16_384,
      maxUrlLength: 8_192,
      maxRequestBody: 0,
      failedLogins: { perUser: 10, perAddress: 50, windowMs: 300_000 },
    });
    expect(config.timeouts).toMatchObject({ requestMs: 300_000, headersMs: 20_000, keepAliveMs: 72_000 });
  });

  it.each([
    ['limits.maxHeaderSize', '`"16KiB"`'],
    ['limits.maxUrlLength', '`"8KiB"`'],
    ['limits.maxRequestBody', '`0`'],
    ['limits.failedLogins.perUser', '`10`'],
    ['limits.failedLogins.perAddress', '`50`'],
    ['limits.failedLogins.window', '`"5m"`'],
    ['timeouts.request', '`"5m"`'],
    ['timeouts.headers', '`"20s"`'],
    ['timeouts.keepAlive', '`"72s"`'],
  ])('are listed in the reference: %s %s', (key, defaultCell) => {
    const row = configReferenceMarkdown()
      .split('\n')
      .find((line) => line.startsWith(`| \`${key}\` |`));
    expect(row?.split(' | ')[2]).toBe(defaultCell);
  });
});

describe('sizes', () => {
  it.each([
    [32768, 32_768],
    ['32768', 32_768],
    ['32KiB', 32_768],
    ['1MiB', 1_048_576],
    ['64 KiB', 65_536],
  ])('reads maxHeaderSize %j as %d bytes', (given, bytes) => {
    expect(parseDoc(withLimits({ maxHeaderSize: given })).limits.maxHeaderSize).toBe(bytes);
  });

  it('reads maxRequestBody in GiB, and 0 as unlimited', () => {
    expect(parseDoc(withLimits({ maxRequestBody: '2GiB' })).limits.maxRequestBody).toBe(2 * 1024 ** 3);
    expect(parseDoc(withLimits({ maxRequestBody: '0' })).limits.maxRequestBody).toBe(0);
  });

  it.each([
    ['10MB', 'expected a size such as 16384, "16KiB" or "100MiB", got "10MB"'],
    ['-1', 'expected a size such as 16384, "16KiB" or "100MiB", got "-1"'],
    [1.5, 'expected a size such as 16384, "16KiB" or "100MiB", got 1.5'],
    [true, 'expected a size such as 16384, "16KiB" or "100MiB", got true'],
    [512, 'expected a size from 1024 to 1048576 bytes, got 512'],
    ['2MiB', 'expected a size from 1024 to 1048576 bytes, got "2MiB"'],
  ])('refuses maxHeaderSize %j', (given, message) => {
    expect(problemsOf(withLimits({ maxHeaderSize: given }))).toEqual([{ path: 'limits.maxHeaderSize', message }]);
  });
});

describe('cross-key rules', () => {
  it('refuses a maxUrlLength that the header limit would always reach first', () => {
    expect(problemsOf(withLimits({ maxHeaderSize: '8KiB', maxUrlLength: '8KiB' }))).toEqual([
      {
        path: 'limits.maxUrlLength',
        message: 'must be less than limits.maxHeaderSize (8192 bytes), which also counts the request line; got 8192',
      },
    ]);
  });

  it('refuses a headers timeout longer than the request timeout (Node would refuse to start)', () => {
    expect(problemsOf(docWith((doc) => (doc['timeouts'] = { request: '10s', headers: '30s' })))).toEqual([
      { path: 'timeouts.headers', message: 'must not be longer than timeouts.request (10000 ms), got 30000 ms' },
    ]);
  });

  it('refuses a headers timeout longer than the default request timeout too', () => {
    expect(problemsOf(docWith((doc) => (doc['timeouts'] = { headers: '10m' })))).toEqual([
      { path: 'timeouts.headers', message: 'must not be longer than timeouts.request (300000 ms), got 600000 ms' },
    ]);
  });
});

describe('failedLogins', () => {
  it('takes 0 as "off" for each limit', () => {
    const config = parseDoc(withLimits({ failedLogins: { perUser: 0, perAddress: '0', window: '1h' } }));
    expect(config.limits.failedLogins).toStrictEqual({ perUser: 0, perAddress: 0, windowMs: 3_600_000 });
  });

  it('reports every problem at once, each with its dotted key', () => {
    expect(problemsOf(withLimits({ failedLogins: { perUser: -1, perAddress: 'many', window: '0s', lockout: true } }))).toEqual([
      { path: 'limits.failedLogins.perUser', message: 'expected a whole number from 0 to 1000000, got -1' },
      { path: 'limits.failedLogins.perAddress', message: 'expected a whole number from 0 to 1000000, got "many"' },
      { path: 'limits.failedLogins.window', message: 'expected a positive duration, got "0s"' },
      { path: 'limits.failedLogins.lockout', message: 'unknown key' },
    ]);
  });

  it('refuses unknown keys under limits and timeouts', () => {
    expect(problemsOf(withLimits({ maxBody: 1 }, { idle: '1s' }))).toEqual([
      { path: 'limits.maxBody', message: 'unknown key' },
      { path: 'timeouts.idle', message: 'unknown key' },
    ]);
  });
});
