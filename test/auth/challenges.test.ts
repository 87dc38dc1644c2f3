import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  authParam,
  basicChallenge,
  bearerChallenge,
  formatChallenge,
  parseChallenges,
  type BearerErrorCode,
  type Challenge,
} from '../../src/auth/index.js';

interface Case {
  readonly name: string;
  readonly header: string;
  readonly expected: Challenge[] | null;
}

const p = (name: string, value: string): { name: string; value: string } => ({ name, value });

const cases: readonly Case[] = [
  {
    name: 'the RFC 9110 §11.6.1 example: two challenges on one line',
    header: 'Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple"',
    expected: [
      { scheme: 'Newauth', params: [p('realm', 'apps'), p('type', '1'), p('title', 'Login to "apps"')] },
      { scheme: 'Basic', params: [p('realm', 'simple')] },
    ],
  },
  { name: 'empty value is an empty list', header: '', expected: [] },
  { name: 'only empty elements', header: ' , ,\t, ', expected: [] },
  { name: 'bare scheme', header: 'Negotiate', expected: [{ scheme: 'Negotiate', params: [] }] },
  { name: 'two bare schemes', header: 'Negotiate, NTLM', expected: [{ scheme: 'Negotiate', params: [] }, { scheme: 'NTLM', params: [] }] },
  { name: 'token68', header: 'Negotiate YIIBhw==', expected: [{ scheme: 'Negotiate', token68: 'YIIBhw==', params: [] }] },
  {
    name: 'token68 then another challenge',
    header: 'Negotiate abc=, Basic realm="x"',
    expected: [
      { scheme: 'Negotiate', token68: 'abc=', params: [] },
      { scheme: 'Basic', params: [p('realm', 'x')] },
    ],
  },
  {
    name: 'Basic as formatted by basicChallenge',
    header: 'Basic realm="grafana", charset="UTF-8"',
    expected: [{ scheme: 'Basic', params: [p('realm', 'grafana'), p('charset', 'UTF-8')] }],
  },
  {
    name: 'Bearer with error and description',
    header: 'Bearer realm="api", error="invalid_token", error_description="The access token expired"',
    expected: [{ scheme: 'Bearer', params: [p('realm', 'api'), p('error', 'invalid_token'), p('error_description', 'The access token expired')] }],
  },
  {
    name: 'no space after the comma, leading and trailing OWS',
    header: ' \tBasic realm="a",Bearer realm="b"\t ',
    expected: [
      { scheme: 'Basic', params: [p('realm', 'a')] },
      { scheme: 'Bearer', params: [p('realm', 'b')] },
    ],
  },
  {
    name: 'empty elements between params',
    header: 'Basic realm="x", , charset="UTF-8",',
    expected: [{ scheme: 'Basic', params: [p('realm', 'x'), p('charset', 'UTF-8')] }],
  },
  { name: 'BWS around "="', header: 'Basic realm \t= "x"', expected: [{ scheme: 'Basic', params: [p('realm', 'x')] }] },
  { name: 'several SP after the scheme', header: 'Basic   realm="x"', expected: [{ scheme: 'Basic', params: [p('realm', 'x')] }] },
  { name: 'escaped quote and backslash', header: 'Basic realm="a\\"b\\\\c"', expected: [{ scheme: 'Basic', params: [p('realm', 'a"b\\c')] }] },
  { name: 'quoted-pair of an ordinary character', header: 'Basic realm="\\a\\ b"', expected: [{ scheme: 'Basic', params: [p('realm', 'a b')] }] },
  { name: 'comma and "=" inside a quoted realm', header: 'Basic realm="a, b=c"', expected: [{ scheme: 'Basic', params: [p('realm', 'a, b=c')] }] },
  { name: 'empty quoted realm', header: 'Basic realm=""', expected: [{ scheme: 'Basic', params: [p('realm', '')] }] },
  { name: 'tab inside a quoted realm', header: 'Basic realm="a\tb"', expected: [{ scheme: 'Basic', params: [p('realm', 'a\tb')] }] },
  { name: 'non-ASCII realm (obs-text)', header: 'Basic realm="Zürich €"', expected: [{ scheme: 'Basic', params: [p('realm', 'Zürich €')] }] },
  { name: 'scheme and names keep their case', header: 'BASIC Realm=x', expected: [{ scheme: 'BASIC', params: [p('Realm', 'x')] }] },
  { name: '"realm=" alone is a token68', header: 'Basic realm=', expected: [{ scheme: 'Basic', token68: 'realm=', params: [] }] },

  { name: 'tab between scheme and params', header: 'Basic\trealm="x"', expected: null },
  { name: 'SP then tab between scheme and params', header: 'Basic \trealm="x"', expected: null },
  { name: 'unterminated quoted-string', header: 'Basic realm="x', expected: null },
  { name: 'backslash at the very end', header: 'Basic realm="x\\', expected: null },
  { name: 'LF inside a quoted-string', header: 'Basic realm="a\nb"', expected: null },
  { name: 'NUL escaped inside a quoted-string', header: 'Basic realm="a\\\u0000b"', expected: null },
  { name: 'duplicate parameter', header: 'Basic realm="x", realm="y"', expected: null },
  { name: 'duplicate parameter in another case', header: 'Basic realm="x", REALM="y"', expected: null },
  { name: 'token68 followed by params', header: 'Negotiate abc, realm="x"', expected: null },
  { name: 'token68 followed by junk', header: 'Negotiate abc def', expected: null },
  { name: 'unquoted value with a space', header: 'Basic realm=x y', expected: null },
  { name: 'param without a value', header: 'Basic realm="x", charset=', expected: null },
  { name: 'param without a challenge', header: 'realm="x"', expected: null },
  { name: 'no scheme', header: '=x', expected: null },
  { name: 'garbage after a quoted value', header: 'Basic realm="x"y', expected: null },
  { name: 'missing comma between challenges', header: 'Basic realm="x" Bearer realm="y"', expected: null },
];

describe('parseChallenges', () => {
  it.each(cases)('$name', ({ header, expected }) => {
    expect(parseChallenges(header)).toEqual(expected);
  });

  it('authParam looks a parameter up case-insensitively', () => {
    const [challenge] = parseChallenges('Bearer Realm="api", ERROR="invalid_token"') ?? [];
    expect(challenge).toBeDefined();
    if (challenge !== undefined) {
      expect(authParam(challenge, 'realm')).toBe('api');
      expect(authParam(challenge, 'error')).toBe('invalid_token');
      expect(authParam(challenge, 'scope')).toBeUndefined();
    }
  });
});

const CTL = /[\u0000-\u0008\u000a-\u001f\u007f]/;
// Realms as an operator might name an application: anything but CTLs (HTAB is qdtext), with `"`
// and `\` made frequent, since those are what the escaping is for.
const realm = fc
  .oneof(
    fc.string({ unit: 'binary' }),
    fc.string({ unit: 'grapheme' }),
    fc.string({ unit: fc.constantFrom('"', '\\', ' ', '\t', ',', '=', 'a', 'é', '€', '😀') }),
  )
  .filter((s) => !CTL.test(s));
const bearerError = fc.option(fc.constantFrom<BearerErrorCode>('invalid_request', 'invalid_token', 'insufficient_scope'), {
  nil: undefined,
});
const description = fc.option(fc.string({ unit: 'binary' }), { nil: undefined });

const sanitizedDescription = (d: string): string =>
  [...d].filter((ch) => /^[\x20-\x21\x23-\x5b\x5d-\x7e]$/.test(ch)).join('');

describe('parseChallenges properties', () => {
  it('round-trips basicChallenge(realm) exactly', () => {
    fc.assert(
      fc.property(realm, (r) => {
        expect(parseChallenges(basicChallenge(r))).toEqual([{ scheme: 'Basic', params: [p('realm', r), p('charset', 'UTF-8')] }]);
      }),
      { numRuns: 1000 },
    );
  });

  it('round-trips bearerChallenge(realm, error, description) exactly', () => {
    fc.assert(
      fc.property(realm, bearerError, description, (r, error, desc) => {
        const parsed = parseChallenges(bearerChallenge(r, error, desc));
        expect(parsed).toHaveLength(1);
        const [challenge] = parsed ?? [];
        expect(challenge?.scheme).toBe('Bearer');
        expect(challenge?.token68).toBeUndefined();
        if (challenge !== undefined) {
          expect(authParam(challenge, 'realm')).toBe(r);
          expect(authParam(challenge, 'error')).toBe(error);
          expect(authParam(challenge, 'error_description')).toBe(desc === undefined ? undefined : sanitizedDescription(desc));
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('splits Basic and Bearer challenges sharing one field line', () => {
    fc.assert(
      fc.property(realm, realm, bearerError, (a, b, error) => {
        const parsed = parseChallenges(`${basicChallenge(a)}, ${bearerChallenge(b, error)}`);
        expect(parsed?.map((c) => c.scheme)).toEqual(['Basic', 'Bearer']);
        expect(parsed?.map((c) => authParam(c, 'realm'))).toEqual([a, b]);
        expect(parsed?.[1] === undefined ? null : authParam(parsed[1], 'error')).toBe(error);
      }),
    );
  });

  it('inverts formatChallenge for any scheme and distinct parameter names', () => {
    const tokenChars = "!#$%&'*+-.^_`|~09azAZ".split('');
    const token = fc.string({ unit: fc.constantFrom(...tokenChars), minLength: 1, maxLength: 12 });
    const params = fc.uniqueArray(fc.record({ name: token, value: realm }), {
      selector: (param) => param.name.toLowerCase(),
      maxLength: 5,
    });
    fc.assert(
      fc.property(token, params, (scheme, ps) => {
        expect(parseChallenges(formatChallenge(scheme, ps))).toEqual([{ scheme, params: ps }]);
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws, for any string', () => {
    const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
    const input = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.string({ unit: codeUnit }),
      fc.string({ unit: fc.constantFrom(' ', '\t', ',', '=', '"', '\\', 'a', 'B', '/', '\n') }),
      fc.tuple(realm, realm).map(([a, b]) => `${basicChallenge(a)},${bearerChallenge(b).slice(0, b.length)}`),
    );
    fc.assert(
      fc.property(input, (header) => {
        const parsed = parseChallenges(header);
        expect(parsed === null || Array.isArray(parsed)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});
