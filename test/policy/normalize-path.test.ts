import { describe, expect, it } from 'vitest';
import { normalizePath } from '../../src/policy/index.js';

describe('normalizePath', () => {
  const normal: [string, string][] = [
    ['/', '/'],
    ['/a/b', '/a/b'],
    ['/a/b/', '/a/b/'],
    ['/.well-known/x', '/.well-known/x'],
    ['/file.tar.gz', '/file.tar.gz'],
    ['/a//b', '/a/b'],
    ['//a', '/a'],
    ['/a/./b', '/a/b'],
    ['/a/../b', '/b'],
    ['/../../etc/passwd', '/etc/passwd'],
    ['/a/b/..', '/a/'],
    ['/a/b/.', '/a/b/'],
    ['/a/..', '/'],
    ['/%61dmin', '/admin'],
    ['/%2e%2e/admin', '/admin'],
    ['/public/%2E%2E/admin', '/admin'],
    ['/%7Euser', '/~user'],
    ['/a%20b', '/a%20b'],
    ['/a%2fb'.replace('2f', '3a'), '/a%3Ab'],
    ['/caf%c3%a9', '/caf%C3%A9'],
    ['/café', '/caf%C3%A9'],
    ['/a b', '/a%20b'],
    ['/a...b', '/a...b'],
    ['/...', '/...'],
  ];
  it.each(normal)('normalizes %s to %s', (raw, expected) => {
    expect(normalizePath(raw)).toEqual({ ok: true, path: expected });
  });

  const refused: string[] = ['', 'a/b', 'http://evil/', '*', '/a%2Fb', '/a%2fb', '/a%5Cb', '/a\\b', '/a%00', '/a%zz', '/a%2', '/a\u0000b', '/a\rb'];
  it.each(refused)('refuses %j', (raw) => {
    expect(normalizePath(raw).ok).toBe(false);
  });

  it('is idempotent', () => {
    for (const [raw] of normal) {
      const once = normalizePath(raw);
      if (!once.ok) throw new Error(raw);
      expect(normalizePath(once.path)).toEqual(once);
    }
  });
});
