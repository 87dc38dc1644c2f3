import { describe, expect, it } from 'vitest';
import { allOf, optionalHeader, parseAbsoluteUrl, parseHost, parseMethod, parseProto, parseRequestTarget, requiredHeader, singleValue } from '../../src/gateway/forward/original.js';

describe('reading the original request from forwarded headers', () => {
  it.each([
    ['/private', { rawPath: '/private', query: '' }],
    ['/a/b?x=1&y=%20', { rawPath: '/a/b', query: '?x=1&y=%20' }],
    ['/outpost.goauthentik.io/../admin', { rawPath: '/outpost.goauthentik.io/../admin', query: '' }],
    ['/?', { rawPath: '/', query: '?' }],
  ])('takes the request target %s as sent, path and query apart', (value, expected) => {
    expect(parseRequestTarget('X-Forwarded-Uri', value)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['', 'no path'],
    ['private', 'relative'],
    ['http://evil.example/', 'absolute form'],
    ['/a b', 'a space'],
    ['/a\tb', 'a tab'],
    ['/a#frag', 'a fragment'],
    [`/${'a'.repeat(9000)}`, 'too long'],
  ])('refuses the request target %j (%s)', (value) => {
    expect(parseRequestTarget('X-Forwarded-Uri', value).ok).toBe(false);
  });

  it.each([
    ['http://app.example.com/x?y=1', { host: 'app.example.com', rawPath: '/x', query: '?y=1' }],
    ['HTTPS://App.Example.com:8443', { host: 'app.example.com:8443', rawPath: '/', query: '' }],
    ['http://app.example.com?y=1', { host: 'app.example.com', rawPath: '/', query: '?y=1' }],
  ])('takes host, path and query from the absolute URL %s', (value, expected) => {
    expect(parseAbsoluteUrl('X-Original-URL', value)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['/x', 'not absolute'],
    ['ftp://app.example.com/', 'another scheme'],
    ['http://app.example.com@evil.example/', 'user info naming another host'],
    ['http:///x', 'no host'],
    ['http://a.example, b.example/', 'two hosts'],
  ])('refuses the original URL %j (%s)', (value) => {
    expect(parseAbsoluteUrl('X-Original-URL', value).ok).toBe(false);
  });

  it('accepts one host[:port] and nothing else', () => {
    expect(parseHost('X-Forwarded-Host', 'App.Example.com:8080')).toEqual({ ok: true, value: 'app.example.com:8080' });
    for (const bad of ['', 'a.example, b.example', 'a b', 'a/b', 'app.example.com:99999999']) {
      expect(parseHost('X-Forwarded-Host', bad).ok, bad).toBe(false);
    }
  });

  it('accepts http and https as the scheme, in any case', () => {
    expect(parseProto('X-Forwarded-Proto', 'HTTPS')).toEqual({ ok: true, value: 'https' });
    for (const bad of ['ftp', 'http,https', '']) {
      expect(parseProto('X-Forwarded-Proto', bad).ok, bad).toBe(false);
    }
  });

  it('keeps a method as sent, and refuses what is not a token', () => {
    expect(parseMethod('X-Forwarded-Method', 'PROPFIND')).toEqual({ ok: true, value: 'PROPFIND' });
    for (const bad of ['GE T', '', 'GET\r\n', 'X'.repeat(40)]) {
      expect(parseMethod('X-Forwarded-Method', bad).ok, bad).toBe(false);
    }
  });

  it('refuses a header that was sent twice: two proxies disagreed, or a client added its own', () => {
    expect(singleValue('X-Forwarded-Uri', ['/a', '/b'])).toEqual({ ok: false, problem: 'X-Forwarded-Uri was sent 2 times' });
    expect(singleValue('X-Forwarded-Uri', ['/a'])).toEqual({ ok: true, value: '/a' });
    expect(singleValue('X-Forwarded-Uri', undefined)).toEqual({ ok: true, value: undefined });
  });

  it('tells a missing required header from an absent optional one', () => {
    expect(requiredHeader('X-Forwarded-Uri', undefined, parseRequestTarget)).toEqual({ ok: false, problem: 'X-Forwarded-Uri is missing' });
    expect(optionalHeader('X-Forwarded-Method', undefined, parseMethod, 'GET')).toEqual({ ok: true, value: 'GET' });
  });

  it('combines values, reporting the first problem', () => {
    expect(allOf({ a: { ok: true, value: 1 }, b: { ok: true, value: 'x' } })).toEqual({ ok: true, value: { a: 1, b: 'x' } });
    expect(allOf({ a: { ok: false, problem: 'first' }, b: { ok: false, problem: 'second' } })).toEqual({ ok: false, problem: 'first' });
  });
});
