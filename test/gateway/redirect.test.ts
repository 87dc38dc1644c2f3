import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateRedirect, type RedirectScope } from '../../src/gateway/redirect.js';

const CORPUS = readFileSync(new URL('../../../shared/corpora/openredirects.txt', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line !== '');

const single: RedirectScope = { origin: 'https://app.example.com', domain: null };
const domain: RedirectScope = { origin: 'https://auth.example.com', domain: 'example.com' };

describe('validateRedirect', () => {
  it('has the attack corpus to test against', () => {
    expect(CORPUS.length).toBeGreaterThan(500);
  });

  it.each([single, domain])('keeps every corpus payload on the application ($origin)', (scope) => {
    for (const payload of CORPUS) {
      const target = new URL(validateRedirect(payload, scope));
      const host = target.hostname;
      const onApp = target.origin === scope.origin || (scope.domain !== null && (host === scope.domain || host.endsWith(`.${scope.domain}`)));
      expect(onApp, payload).toBe(true);
      expect(['https:'], payload).toContain(target.protocol);
    }
  });

  const kept: [string, string][] = [
    ['/dashboard?tab=1#x', 'https://app.example.com/dashboard?tab=1#x'],
    ['https://app.example.com/a/b', 'https://app.example.com/a/b'],
    ['https://APP.example.com:443/a', 'https://app.example.com/a'],
    ['/%2F%2Fevil.com', 'https://app.example.com/%2F%2Fevil.com'],
  ];
  it.each(kept)('keeps %s', (rd, expected) => {
    expect(validateRedirect(rd, single)).toBe(expected);
  });

  const refused = [
    undefined,
    '',
    '//evil.com',
    '/\\evil.com',
    '\\\\evil.com',
    '/\t/evil.com',
    '/\n/evil.com',
    'https://evil.com',
    'https://app.example.com.evil.com/',
    'https://evilapp.example.com/',
    'https://app.example.com@evil.com/',
    'https://user:pw@app.example.com/',
    'http://app.example.com/',
    'https://app.example.com:8443/',
    'javascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    ' https://evil.com',
    'https:evil.com',
    `/${'a'.repeat(5000)}`,
  ];
  it.each(refused)('falls back to the root for %j', (rd) => {
    expect(validateRedirect(rd, single)).toBe('https://app.example.com/');
  });

  it('accepts hosts under the cookie domain at a dot boundary only (forward_domain)', () => {
    expect(validateRedirect('https://grafana.example.com/x', domain)).toBe('https://grafana.example.com/x');
    expect(validateRedirect('https://example.com/x', domain)).toBe('https://example.com/x');
    expect(validateRedirect('https://notexample.com/x', domain)).toBe('https://auth.example.com/');
    expect(validateRedirect('https://example.com.evil.org/x', domain)).toBe('https://auth.example.com/');
    expect(validateRedirect('http://grafana.example.com/x', domain)).toBe('https://auth.example.com/');
  });
});
