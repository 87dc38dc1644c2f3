/**
 * skipPathRegex in RE2 syntax (authentik's): what RE2 accepts that JavaScript reads otherwise,
 * unanchored matching, and the URL subject of forward_domain.
 */

import { describe, expect, it } from 'vitest';
import { compileSkipPaths } from '../../src/policy/index.js';

describe('skip paths', () => {
  it.each([
    ['^/public/', '/public/x', true],
    ['^/public/', '/x/public/', false],
    ['/static/', '/app/static/x.css', true],
    ['(?i)^/PUBLIC/', '/public/x', true],
    ['^/api/v[0-9]+/health\\z', '/api/v2/health', true],
    ['^/api/v[0-9]+/health\\z', '/api/v2/health/x', false],
    ['^/(?P<lang>[a-z]{2})/docs', '/de/docs/x', true],
    ['^/\\pL+$', '/équipe', true],
    ['^/\\pL+$', '/a1', false],
  ])('%s on %s: %s', (pattern, path, expected) => {
    expect(compileSkipPaths([pattern]).matches(path, 'app.example.com')).toBe(expected);
  });

  it('matches scheme://host + path in forward_domain, and the path alone elsewhere', () => {
    const domain = compileSkipPaths(['^https://public\\.example\\.com/'], { urlScheme: 'https:' });
    expect(domain.matches('/x', 'public.example.com')).toBe(true);
    expect(domain.matches('/x', 'app.example.com')).toBe(false);
    const single = compileSkipPaths(['^https://public\\.example\\.com/']);
    expect(single.matches('/x', 'public.example.com')).toBe(false);
  });

  it('runs in linear time on a pattern that backtracks for ever in JavaScript', () => {
    const path = `/${'a'.repeat(5_000)}!`;
    const started = performance.now();
    expect(compileSkipPaths(['^/(a+)+$']).matches(path, 'h')).toBe(false);
    // A backtracking engine needs longer than the universe has for this; RE2 milliseconds.
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
