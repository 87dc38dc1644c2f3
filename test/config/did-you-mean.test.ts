import { describe, expect, it } from 'vitest';
import { closestKey } from '../../src/config/did-you-mean.js';
import { docWith, problemsOf } from './helpers.js';

describe('closestKey', () => {
  it.each([
    ['listne', ['listen', 'secret'], 'listen'],
    ['client_id', ['clientId', 'clientSecret'], 'clientId'],
    ['internalhost', ['internalHost', 'externalHost'], 'internalHost'],
    ['audience', ['audiences', 'algorithms'], 'audiences'],
    ['polcies', ['policies', 'policiesDir'], 'policies'],
  ])('suggests a key one slip away: %s → %s', (unknown, known, expected) => {
    expect(closestKey(unknown, known)).toBe(expected);
  });

  it.each([
    ['colour', ['level', 'format']],
    ['idle', ['idp', 'request']],
    ['maxBody', ['maxHeaderSize', 'maxUrlLength', 'maxRequestBody']],
    ['__proto__', ['listen']],
  ])('suggests nothing when no key is close: %s', (unknown, known) => {
    expect(closestKey(unknown, known)).toBeNull();
  });
});

describe('unknown keys', () => {
  it('names each unknown key at its own path, with a suggestion where one is close, at any depth', () => {
    const doc = docWith((d) => {
      d['sesions'] = {};
      d['limits'] = { failedLogins: { perUsr: 1, lockout: true } };
      (d['applications'] as Record<string, unknown>[]).push({ name: 'b', externalHost: 'https://b.example.com', internalHost: 'http://b:1', headerAuth: { basc: true } });
    });
    // In document order: the applications are written before the keys added here.
    expect(problemsOf(doc)).toEqual([
      { path: 'applications[1].headerAuth.basc', message: 'unknown key (did you mean "basic"?)' },
      { path: 'sesions', message: 'unknown key (did you mean "sessions"?)' },
      { path: 'limits.failedLogins.perUsr', message: 'unknown key (did you mean "perUser"?)' },
      { path: 'limits.failedLogins.lockout', message: 'unknown key' },
    ]);
  });
});
