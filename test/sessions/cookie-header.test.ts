import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readCookie, removeCookie, serializeCookie, serializeExpiredCookie } from '../../src/sessions/index.js';

describe('serializeCookie', () => {
  it.each([
    [{ secure: true, maxAgeSeconds: 86_400 }, 'authentik_proxy_1a2b3c4d=v.mac; Path=/; Max-Age=86400; HttpOnly; Secure; SameSite=Lax'],
    [{ secure: false, maxAgeSeconds: 60 }, 'authentik_proxy_1a2b3c4d=v.mac; Path=/; Max-Age=60; HttpOnly; SameSite=Lax'],
    [{ secure: true, domain: '.example.com', maxAgeSeconds: 0 }, 'authentik_proxy_1a2b3c4d=v.mac; Path=/; Max-Age=0; Domain=.example.com; HttpOnly; Secure; SameSite=Lax'],
    [{ secure: true, domain: '', maxAgeSeconds: 5 }, 'authentik_proxy_1a2b3c4d=v.mac; Path=/; Max-Age=5; HttpOnly; Secure; SameSite=Lax'],
  ])('%j', (options, expected) => {
    expect(serializeCookie('authentik_proxy_1a2b3c4d', 'v.mac', options)).toBe(expected);
  });

  it('expires a cookie in the scope it was set in', () => {
    expect(serializeExpiredCookie('sid', { secure: true })).toBe('sid=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax');
    expect(serializeExpiredCookie('sid', { secure: false, domain: 'example.com' })).toBe(
      'sid=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Domain=example.com; HttpOnly; SameSite=Lax',
    );
  });

  it.each(['', 'a b', 'a;b', 'a=b', 'a,b', 'é', '(x)', 'a\r\nSet-Cookie: x'])('refuses the cookie name %j', (name) => {
    expect(() => serializeCookie(name, 'v', { secure: true, maxAgeSeconds: 1 })).toThrow(TypeError);
    expect(() => readCookie('a=1', name)).toThrow(TypeError);
    expect(() => removeCookie('a=1', name)).toThrow(TypeError);
  });

  it.each(['a b', 'a;b', 'a"b', 'a,b', 'a\\b', 'é', 'a\r\nb'])('refuses the value %j', (value) => {
    expect(() => serializeCookie('sid', value, { secure: true, maxAgeSeconds: 1 })).toThrow(TypeError);
  });

  it.each(['evil.com; Secure', 'a b', 'example.com\r\n', '..example.com', 'example.com.'])('refuses the domain %j', (domain) => {
    expect(() => serializeCookie('sid', 'v', { secure: true, domain, maxAgeSeconds: 1 })).toThrow(TypeError);
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses Max-Age %s', (maxAgeSeconds) => {
    expect(() => serializeCookie('sid', 'v', { secure: true, maxAgeSeconds })).toThrow(RangeError);
  });
});

describe('readCookie', () => {
  it.each<[string | undefined, string | undefined]>([
    ['a=1; sid=x; b=2', 'x'],
    ['sid=x', 'x'],
    ['a=1;sid=x', 'x'],
    ['a=1;\tsid=x ;b=2', 'x'],
    ['sid=', ''],
    ['sid=a=b', 'a=b'],
    ['a=1; b=2', undefined],
    ['', undefined],
    [undefined, undefined],
    ['xsid=1; sidx=2; SID=3', undefined],
    ['sid', undefined],
    ['sid=x; sid=y', undefined],
    ['sid=x; a=1; sid=x', undefined],
  ])('%j → %j', (header, expected) => {
    expect(readCookie(header, 'sid')).toBe(expected);
  });

  // The plain reading of the rules above: split at `;`, trim SP/HTAB around name and value, a
  // name seen twice is absent. readCookie scans by index instead; the two must agree.
  const byTheRules = (header: string, name: string): string | undefined => {
    const matches = header
      .split(';')
      .filter((pair) => pair.includes('=') && pair.slice(0, pair.indexOf('=')).replace(/^[ \t]+|[ \t]+$/g, '') === name)
      .map((pair) => pair.slice(pair.indexOf('=') + 1).replace(/^[ \t]+|[ \t]+$/g, ''));
    return matches.length === 1 ? matches[0] : undefined;
  };

  it('agrees with splitting and trimming on any header', () => {
    const piece = fc.constantFrom('sid', 's', 'id', 'x', '=', ';', ' ', '\t', 'v', '"q"', '\u00e9');
    const pair = fc
      .tuple(fc.constantFrom('sid', ' sid', 'sid\t', 'SID', 'xsid', 's id', ''), fc.constantFrom('=', '', '=='), fc.constantFrom('', 'v', ' v ', '=', 'a=b', '\t'))
      .map(([name, eq, value]) => `${name}${eq}${value}`);
    const header = fc.oneof(
      fc.array(piece, { maxLength: 16 }).map((parts) => parts.join('')),
      fc.tuple(fc.array(pair, { maxLength: 5 }), fc.constantFrom(';', '; ', ';\t', ' ;')).map(([pairs, separator]) => pairs.join(separator)),
    );
    fc.assert(
      fc.property(header, (value) => {
        expect(readCookie(value, 'sid')).toBe(byTheRules(value, 'sid'));
      }),
      { numRuns: 5000 },
    );
  });
});

describe('removeCookie', () => {
  it.each([
    ['a=1; sid=x; b=2', 'a=1; b=2'],
    ['sid=x; a=1', 'a=1'],
    ['a=1; sid=x', 'a=1'],
    ['sid=x', ''],
    ['sid=x; a=1; sid=y', 'a=1'],
    ['a="quoted value"; sid=x;b=2;  c=3', 'a="quoted value";b=2;  c=3'],
    ['sidx=1; xsid=2; SID=3', 'sidx=1; xsid=2; SID=3'],
    ['a=1; flag; sid=x', 'a=1; flag'],
  ])('%j → %j', (header, expected) => {
    expect(removeCookie(header, 'sid')).toBe(expected);
  });

  it('returns the very same header when the cookie is absent', () => {
    const header = 'a=1;  b=2 ; c="x y"';
    expect(removeCookie(header, 'sid')).toBe(header);
  });

  it('leaves every other cookie byte-identical, wherever ours sits', () => {
    const pair = fc.tuple(fc.stringMatching(/^[A-Za-z0-9_-]{1,8}$/).filter((name) => name !== 'sid'), fc.stringMatching(/^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]{0,12}$/));
    fc.assert(
      fc.property(fc.array(pair, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(6), { minLength: 1, maxLength: 3 }), (pairs, positions) => {
        const others = pairs.map(([name, value]) => `${name}=${value}`);
        const mixed = [...others];
        for (const position of positions) mixed.splice(Math.min(position, mixed.length), 0, 'sid=ours');
        expect(removeCookie(mixed.join('; '), 'sid')).toBe(others.join('; '));
      }),
    );
  });
});
