import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  AUTHENTIK_TOKEN_USERNAME,
  MALFORMED_REASONS,
  MAX_CREDENTIALS_LENGTH,
  parseCredentials,
  type MalformedReason,
  type ParsedCredentials,
} from '../../src/auth/index.js';
// The full grammar on its own, to hold the fast path of parseCredentials to it.
import { parseByGrammar } from '../../src/auth/credentials/parse.js';

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const b64bytes = (bytes: readonly number[]): string => Buffer.from(bytes).toString('base64');
const basic = (text: string): string => `Basic ${b64(text)}`;

const ok = (username: string, password: string): ParsedCredentials => ({ kind: 'basic', username, password });
const bearer = (token: string): ParsedCredentials => ({ kind: 'bearer', token });
const other = (scheme: string): ParsedCredentials => ({ kind: 'other', scheme });
const bad = (scheme: 'basic' | 'bearer' | 'unknown', reason: MalformedReason): ParsedCredentials => ({
  kind: 'malformed',
  scheme,
  reason,
});

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';
// `alice:pw` is `YWxpY2U6cHc=`: one padding character, last data character `c` (index 28).
const ALICE = b64('alice:pw');

interface Case {
  readonly name: string;
  readonly header: string | undefined;
  readonly expected: ParsedCredentials | null;
}

const cases: readonly Case[] = [
  // Presence and emptiness
  { name: 'no header', header: undefined, expected: null },
  { name: 'empty value', header: '', expected: bad('unknown', 'empty') },
  { name: 'whitespace-only value', header: ' \t ', expected: bad('unknown', 'empty') },

  // Basic: the happy paths
  { name: 'Basic user:password', header: basic('alice:secret'), expected: ok('alice', 'secret') },
  { name: 'lowercase scheme', header: `basic ${ALICE}`, expected: ok('alice', 'pw') },
  { name: 'uppercase scheme', header: `BASIC ${ALICE}`, expected: ok('alice', 'pw') },
  { name: 'mixed-case scheme', header: `bAsIc ${ALICE}`, expected: ok('alice', 'pw') },
  { name: 'several SP after the scheme (1*SP)', header: `Basic    ${ALICE}`, expected: ok('alice', 'pw') },
  { name: 'leading and trailing OWS tolerated', header: ` \tBasic ${ALICE} \t`, expected: ok('alice', 'pw') },
  { name: 'colon in password: split at the first colon', header: basic('alice:se:cr:et'), expected: ok('alice', 'se:cr:et') },
  { name: 'password that is only colons', header: basic('alice:::'), expected: ok('alice', '::') },
  { name: 'UTF-8 user and password', header: basic('zoë:pässwörd€😀'), expected: ok('zoë', 'pässwörd€😀') },
  { name: 'leading BOM kept in the user-id', header: basic('\uFEFFadmin:pw'), expected: ok('\uFEFFadmin', 'pw') },
  { name: 'C1 controls are not CTLs (RFC 5234)', header: basic('al\u0085ice:pw'), expected: ok('al\u0085ice', 'pw') },
  { name: 'spaces inside user and password', header: basic(' a b : c d '), expected: ok(' a b ', ' c d ') },

  // Basic: separator between scheme and token68
  { name: 'tab between scheme and token68', header: `Basic\t${ALICE}`, expected: bad('basic', 'syntax') },
  { name: 'SP then tab before token68', header: `Basic \t${ALICE}`, expected: bad('basic', 'syntax') },
  { name: 'Basic with nothing after it', header: 'Basic', expected: bad('basic', 'missing_token') },
  { name: 'Basic followed by spaces only', header: 'Basic    ', expected: bad('basic', 'missing_token') },
  { name: 'Basic glued to its token', header: `Basic${ALICE}`, expected: bad('unknown', 'syntax') },

  // Basic: strict base64
  { name: 'missing padding', header: `Basic ${ALICE.slice(0, -1)}`, expected: bad('basic', 'not_base64') },
  { name: 'extra padding', header: `Basic ${ALICE}=`, expected: bad('basic', 'not_base64') },
  { name: 'padding in the middle', header: `Basic YWxp=Y2U6cHc`, expected: bad('basic', 'not_base64') },
  { name: 'space in the middle of the base64', header: `Basic YWxp Y2U6cHc=`, expected: bad('basic', 'not_base64') },
  { name: 'non-zero pad bits (RFC 4648 §3.5)', header: 'Basic YWxpY2U6cHd=', expected: bad('basic', 'not_base64') },
  { name: 'base64url alphabet', header: `Basic ${b64('a:>>>?').replace(/\+/g, '-').replace(/\//g, '_')}`, expected: bad('basic', 'not_base64') },
  { name: 'length not a multiple of 4', header: 'Basic YWxpY2U6c', expected: bad('basic', 'not_base64') },
  { name: 'token68 characters outside base64 (. and ~)', header: 'Basic YWxp.2U6~Hc=', expected: bad('basic', 'not_base64') },
  { name: 'the last base64 character with zero pad bits is accepted', header: `Basic ${b64('a:b')}`, expected: ok('a', 'b') },
  { name: 'auth-param form', header: 'Basic realm="x"', expected: bad('basic', 'not_base64') },
  { name: 'non-octet characters', header: 'Basic 令牌令牌', expected: bad('basic', 'not_base64') },

  // Basic: decoded content
  { name: 'not UTF-8 (0xff)', header: `Basic ${b64bytes([0x61, 0x3a, 0xff])}`, expected: bad('basic', 'not_utf8') },
  { name: 'overlong UTF-8 for "/"', header: `Basic ${b64bytes([0x61, 0x3a, 0xc0, 0xaf])}`, expected: bad('basic', 'not_utf8') },
  { name: 'UTF-8-encoded surrogate', header: `Basic ${b64bytes([0x61, 0x3a, 0xed, 0xa0, 0x80])}`, expected: bad('basic', 'not_utf8') },
  { name: 'truncated UTF-8 sequence', header: `Basic ${b64bytes([0x61, 0x3a, 0xe2, 0x82])}`, expected: bad('basic', 'not_utf8') },
  { name: 'no colon', header: basic('alice'), expected: bad('basic', 'no_colon') },
  { name: 'NUL in user-id', header: basic('admin\u0000evil:pw'), expected: bad('basic', 'control_character') },
  { name: 'CR in user-id', header: basic('alice\r:pw'), expected: bad('basic', 'control_character') },
  { name: 'LF in password', header: basic('alice:p\nw'), expected: bad('basic', 'control_character') },
  { name: 'CRLF header injection in user-id', header: basic('alice\r\nX-authentik-groups: admins:pw'), expected: bad('basic', 'control_character') },
  { name: 'tab in password', header: basic('alice:p\tw'), expected: bad('basic', 'control_character') },
  { name: 'DEL in password', header: basic('alice:p\u007fw'), expected: bad('basic', 'control_character') },
  { name: 'control character without a colon', header: basic('alice\u0000'), expected: bad('basic', 'control_character') },
  { name: 'empty user-id', header: basic(':pw'), expected: bad('basic', 'empty_username') },
  { name: 'empty user-id and password', header: basic(':'), expected: bad('basic', 'empty_username') },
  { name: 'empty password', header: basic('alice:'), expected: bad('basic', 'empty_password') },

  // Basic: authentik's reserved user-id
  { name: 'goauthentik.io/token makes the password a Bearer token', header: basic(`goauthentik.io/token:${JWT}`), expected: bearer(JWT) },
  { name: 'goauthentik.io/token with a non-b64token password', header: basic('goauthentik.io/token:not a token'), expected: bad('bearer', 'bad_token') },
  { name: 'goauthentik.io/token with an empty password', header: basic('goauthentik.io/token:'), expected: bad('bearer', 'bad_token') },
  { name: 'goauthentik.io/token with a colon in the password', header: basic('goauthentik.io/token:a:b'), expected: bad('bearer', 'bad_token') },
  { name: 'reserved user-id is case-sensitive', header: basic(`GoAuthentik.io/token:${JWT}`), expected: ok('GoAuthentik.io/token', JWT) },

  // Bearer
  { name: 'Bearer JWT', header: `Bearer ${JWT}`, expected: bearer(JWT) },
  { name: 'lowercase bearer', header: `bearer ${JWT}`, expected: bearer(JWT) },
  { name: 'every b64token character', header: 'Bearer AZaz09-._~+/==', expected: bearer('AZaz09-._~+/==') },
  { name: 'Bearer with OWS around it', header: `\t Bearer   ${JWT} `, expected: bearer(JWT) },
  { name: 'Bearer with "=" in the middle', header: 'Bearer abc=def', expected: bad('bearer', 'bad_token') },
  { name: 'Bearer starting with "="', header: 'Bearer =abc', expected: bad('bearer', 'bad_token') },
  { name: 'Bearer with a space inside the token', header: 'Bearer abc def', expected: bad('bearer', 'bad_token') },
  { name: 'Bearer with a character outside b64token', header: 'Bearer abc!def', expected: bad('bearer', 'bad_token') },
  { name: 'Bearer with non-ASCII', header: 'Bearer tökén', expected: bad('bearer', 'bad_token') },
  { name: 'Bearer in auth-param form', header: 'Bearer realm="x"', expected: bad('bearer', 'bad_token') },
  { name: 'Bearer auth-params with a comma', header: 'Bearer a=b, c=d', expected: bad('bearer', 'bad_token') },
  { name: 'Bearer with a quoted comma', header: 'Bearer realm="a,b"', expected: bad('bearer', 'bad_token') },
  { name: 'Bearer with an open quote', header: 'Bearer "abc, Basic x', expected: bad('bearer', 'bad_token') },
  { name: 'Bearer with nothing after it', header: 'Bearer', expected: bad('bearer', 'missing_token') },
  { name: 'tab between Bearer and the token', header: `Bearer\t${JWT}`, expected: bad('bearer', 'syntax') },

  // Several credentials joined into one value
  { name: 'Bearer and Basic joined with a comma', header: `Bearer ${JWT}, ${basic('alice:pw')}`, expected: bad('bearer', 'list') },
  { name: 'Basic and Bearer joined with a comma', header: `${basic('alice:pw')}, Bearer ${JWT}`, expected: bad('basic', 'list') },
  { name: 'two Basic joined without a space', header: `${basic('alice:pw')},${basic('bob:pw')}`, expected: bad('basic', 'list') },
  { name: 'Bearer joined with an empty line', header: `Bearer ${JWT},`, expected: bad('bearer', 'list') },
  { name: 'scheme followed by a comma', header: `Basic, Bearer ${JWT}`, expected: bad('basic', 'list') },
  { name: 'other scheme then a Bearer', header: `Negotiate YII=, Bearer ${JWT}`, expected: bad('unknown', 'list') },
  { name: 'other scheme params then a Basic', header: `Digest username="a", realm="b", ${basic('alice:pw')}`, expected: bad('unknown', 'list') },
  { name: 'leading comma', header: `, Bearer ${JWT}`, expected: bad('unknown', 'syntax') },

  // Schemes Portcullis does not own
  { name: 'Negotiate', header: 'Negotiate YIIBhwYGKwYBBQUCoIIBezCCAXeg', expected: other('Negotiate') },
  { name: 'bare scheme', header: 'Negotiate', expected: other('Negotiate') },
  { name: 'Digest with quoted commas', header: 'Digest username="a", realm="x, y", nonce="n", uri="/", response="r"', expected: other('Digest') },
  {
    name: 'AWS SigV4 (values outside token syntax)',
    header:
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7',
    expected: other('AWS4-HMAC-SHA256'),
  },
  { name: 'other scheme keeps its spelling', header: 'dPoP abc', expected: other('dPoP') },
  { name: 'other scheme with a trailing empty param element', header: 'Custom a=1,', expected: other('Custom') },
  { name: 'other scheme with non-octet characters', header: 'Custom 令牌', expected: bad('unknown', 'syntax') },
  { name: 'other scheme with an open quote', header: 'Custom a="b, Bearer x', expected: bad('unknown', 'syntax') },
  { name: 'other scheme glued to a slash', header: 'Custom/1 abc', expected: bad('unknown', 'syntax') },
  { name: 'other scheme with a tab separator', header: 'Custom\tabc', expected: bad('unknown', 'syntax') },

  // Raw header problems
  { name: 'no scheme token', header: '=abc', expected: bad('unknown', 'syntax') },
  { name: 'quoted scheme', header: '"Basic" abc', expected: bad('unknown', 'syntax') },
  { name: 'CRLF in the raw Bearer value', header: `Bearer ${JWT}\r\nX-Injected: 1`, expected: bad('bearer', 'control_character') },
  { name: 'NUL in the raw value of another scheme', header: 'Custom a\u0000b', expected: bad('unknown', 'control_character') },
  { name: 'NUL before any scheme', header: '\u0000Basic abc', expected: bad('unknown', 'control_character') },

  // Length
  { name: 'Bearer of exactly the limit', header: `Bearer ${'a'.repeat(MAX_CREDENTIALS_LENGTH - 7)}`, expected: bearer('a'.repeat(MAX_CREDENTIALS_LENGTH - 7)) },
  { name: 'Bearer one over the limit', header: `Bearer ${'a'.repeat(MAX_CREDENTIALS_LENGTH - 6)}`, expected: bad('bearer', 'too_long') },
  { name: 'Basic over the limit', header: `basic ${'A'.repeat(MAX_CREDENTIALS_LENGTH)}`, expected: bad('basic', 'too_long') },
  { name: 'junk over the limit', header: '\u0000'.repeat(MAX_CREDENTIALS_LENGTH + 1), expected: bad('unknown', 'too_long') },
  { name: 'whitespace over the limit', header: ' '.repeat(MAX_CREDENTIALS_LENGTH + 1), expected: bad('unknown', 'too_long') },
];

describe('parseCredentials', () => {
  it.each(cases)('$name', ({ header, expected }) => {
    expect(parseCredentials(header)).toEqual(expected);
  });

  it('has a table case producing every MalformedReason', () => {
    const produced = new Set(cases.flatMap((c) => (c.expected?.kind === 'malformed' ? [c.expected.reason] : [])));
    expect([...produced].sort()).toEqual([...MALFORMED_REASONS].sort());
  });

  it('names the authentik reserved user-id', () => {
    expect(AUTHENTIK_TOKEN_USERNAME).toBe('goauthentik.io/token');
  });

  it('parses adversarial values at the length limit in linear time', () => {
    const n = MAX_CREDENTIALS_LENGTH - 16;
    const inputs = [
      `Custom a${' '.repeat(n)}b`,
      `Custom ${', a'.repeat(n / 3)}`,
      `Custom ${'"\\'.repeat(n / 2)}`,
      `Basic ${'A'.repeat(n - (n % 4))}`,
      `Bearer ${'='.repeat(n)}x`,
      `Basic${' '.repeat(n)}x`,
    ];
    const started = performance.now();
    for (let round = 0; round < 20; round += 1) {
      for (const input of inputs) {
        parseCredentials(input);
      }
    }
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

// Any UTF-16 code unit, lone surrogates included: the fuzzers must not be limited to valid text.
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const headerish = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: codeUnit }),
  fc.string({ unit: fc.constantFrom(' ', '\t', ',', '=', '"', '\\', ':', 'a', 'Z', '0', '+', '/', '-', '\r', '\u0000', 'é') }),
  fc
    .tuple(
      fc.constantFrom('Basic', 'bearer', 'BEARER', 'Digest', 'Negotiate', '', ' '),
      fc.constantFrom(' ', '  ', '\t', '', ','),
      fc.string({ unit: fc.constantFrom('A', 'b', '9', '+', '/', '=', '-', '_', ',', ' ', '"', '\u00ff') }),
    )
    .map(([s, sep, rest]) => `${s}${sep}${rest}`),
  fc.string({ unit: 'binary' }).map((text) => `Basic ${b64(text)}`),
);

const KINDS = new Set(['basic', 'bearer', 'other', 'malformed']);

describe('parseCredentials properties', () => {
  // Shapes close to the fast path's: scheme spellings (a long s, a Kelvin sign, a Turkish
  // dotless i fold to ASCII letters in some case mappings), space runs, b64token characters
  // with stray padding, commas and quotes.
  const nearCanonical = fc
    .tuple(
      fc.constantFrom('Basic', 'basic', 'BASIC', 'Bearer', 'bearer', 'BEARER', 'Baſic', 'Bearer\u212a', 'bası', 'Bearerx', 'Basi', ''),
      fc.constantFrom(' ', '  ', '\t', '', ' \t'),
      fc.string({ unit: fc.constantFrom('A', 'z', '9', '-', '.', '_', '~', '+', '/', '=', ',', '"', ' ', '\t', ':', '\u00ff', '\u212a') }),
      fc.constantFrom('', ' ', '\t', '=', '=='),
    )
    .map(([scheme, sep, token, tail]) => `${scheme}${sep}${token}${tail}`);

  it('answers exactly as the full grammar does, fast path or not', () => {
    fc.assert(
      fc.property(fc.oneof(headerish, nearCanonical, fc.string({ unit: 'binary' }).map((t) => `Bearer ${b64(t)}`)), (header) => {
        fc.pre(header.length <= MAX_CREDENTIALS_LENGTH);
        expect(parseCredentials(header)).toEqual(parseByGrammar(header));
      }),
      { numRuns: 5000 },
    );
  });

  it('never throws and always returns one of the kinds', () => {
    fc.assert(
      fc.property(headerish, (header) => {
        const parsed = parseCredentials(header);
        expect(parsed).not.toBeNull();
        expect(KINDS.has(parsed?.kind ?? '')).toBe(true);
        if (parsed?.kind === 'malformed') {
          expect(MALFORMED_REASONS).toContain(parsed.reason);
          expect(['basic', 'bearer', 'unknown']).toContain(parsed.scheme);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('never lets a control character through in a Basic pair, a token or a pass-through value', () => {
    fc.assert(
      fc.property(headerish, (header) => {
        const parsed = parseCredentials(header);
        const fields =
          parsed?.kind === 'basic'
            ? [parsed.username, parsed.password]
            : parsed?.kind === 'bearer'
              ? [parsed.token]
              : parsed?.kind === 'other'
                ? [header.replace(/^[ \t]+|[ \t]+$/g, '').replace(/\t/g, ' ')]
                : [];
        for (const field of fields) {
          expect(field).not.toMatch(/[\u0000-\u001f\u007f]/);
        }
        if (parsed?.kind === 'other') {
          expect(header).not.toMatch(/[^\u0000-\u00ff]/);
        }
      }),
      { numRuns: 2000 },
    );
  });

  const noCtl = (s: string): boolean => !/[\u0000-\u001f\u007f]/.test(s);
  const text = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.string());
  const username = text.filter((s) => s !== '' && !s.includes(':') && noCtl(s) && s !== AUTHENTIK_TOKEN_USERNAME);
  const password = text.filter((s) => s !== '' && noCtl(s));
  const scheme = fc.constantFrom('Basic', 'basic', 'BASIC', 'bASIC');
  const spaces = fc.integer({ min: 1, max: 3 }).map((n) => ' '.repeat(n));
  const ows = fc.constantFrom('', ' ', '\t', ' \t ');

  it('round-trips any valid user-id and password through Basic base64(utf8(user:pass))', () => {
    fc.assert(
      fc.property(username, password, scheme, spaces, ows, ows, (user, pass, s, sp, before, after) => {
        const header = `${before}${s}${sp}${b64(`${user}:${pass}`)}${after}`;
        expect(parseCredentials(header)).toEqual({ kind: 'basic', username: user, password: pass });
      }),
      { numRuns: 1000 },
    );
  });

  it('round-trips any b64token through Bearer and through goauthentik.io/token', () => {
    const b64token = fc
      .tuple(
        fc.string({ unit: fc.constantFrom(...'AZaz09-._~+/'.split('')), minLength: 1 }),
        fc.integer({ min: 0, max: 3 }),
      )
      .map(([body, pad]) => body + '='.repeat(pad));
    fc.assert(
      fc.property(b64token, (token) => {
        expect(parseCredentials(`Bearer ${token}`)).toEqual({ kind: 'bearer', token });
        expect(parseCredentials(basic(`${AUTHENTIK_TOKEN_USERNAME}:${token}`))).toEqual({ kind: 'bearer', token });
      }),
    );
  });
});
