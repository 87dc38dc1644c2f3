/**
 * Parser for `WWW-Authenticate` / `Proxy-Authenticate` field values: the inverse of
 * `formatChallenge`. Used by tests to check what the gateway emits, and by anything that has to read
 * a challenge an upstream or IdP sent.
 *
 * @see RFC 9110 §11.6.1 (WWW-Authenticate = #challenge), §11.2 (challenge, auth-param, token68),
 *      §5.6.1 (lists: empty elements are accepted), §5.6.4 (quoted-string)
 */

import type { ChallengeParam } from '../challenge.js';
import { parseQuotedString, scanToken, scanToken68, skipOws } from './syntax.js';

/**
 * One challenge. `scheme` and parameter names are kept as written (compare them
 * case-insensitively, or use {@link authParam}); parameter values are unescaped. A challenge has
 * either a `token68` or zero or more `params`, never both.
 */
export interface Challenge {
  readonly scheme: string;
  readonly token68?: string;
  readonly params: readonly ChallengeParam[];
}

/** The value of the named auth-param (case-insensitive name, RFC 9110 §11.2), if present. */
export function authParam(challenge: Challenge, name: string): string | undefined {
  const wanted = name.toLowerCase();
  return challenge.params.find((p) => p.name.toLowerCase() === wanted)?.value;
}

interface Step<T> {
  readonly value: T;
  readonly end: number;
}

/** `token BWS "=" BWS ( token / quoted-string )` at `from`, or `null`. */
function parseAuthParam(text: string, from: number): Step<ChallengeParam> | null {
  const nameEnd = scanToken(text, from);
  const equals = skipOws(text, nameEnd);
  if (nameEnd === from || text[equals] !== '=') {
    return null;
  }
  const valueStart = skipOws(text, equals + 1);
  const name = text.slice(from, nameEnd);
  if (text[valueStart] === '"') {
    const quoted = parseQuotedString(text, valueStart);
    return quoted === null ? null : { value: { name, value: quoted.value }, end: quoted.end };
  }
  const valueEnd = scanToken(text, valueStart);
  return valueEnd === valueStart ? null : { value: { name, value: text.slice(valueStart, valueEnd) }, end: valueEnd };
}

/** Skips list separators (`OWS "," OWS`, empty elements allowed) from `from`. */
function skipSeparators(text: string, from: number): number {
  let i = skipOws(text, from);
  while (text[i] === ',') {
    i = skipOws(text, i + 1);
  }
  return i;
}

/** After an element: OWS then end of input or `,`; returns that index, or -1 for trailing junk. */
function elementEnd(text: string, from: number): number {
  const i = skipOws(text, from);
  return i === text.length || text[i] === ',' ? i : -1;
}

/** A `token` followed by BWS `=` starts an auth-param; anything else after a comma starts a challenge. */
function startsAuthParam(text: string, from: number): boolean {
  const nameEnd = scanToken(text, from);
  return nameEnd > from && text[skipOws(text, nameEnd)] === '=';
}

/**
 * The comma-separated auth-params of one challenge, starting at `from`. Stops before an element
 * that starts the next challenge. Duplicate names are rejected (RFC 9110 §11.2: "each parameter
 * name MUST only occur once per challenge"): two readers picking different duplicates is how a
 * realm or error gets spoofed past one of them.
 */
function parseParams(text: string, from: number): Step<ChallengeParam[]> | null {
  const params: ChallengeParam[] = [];
  const seen = new Set<string>();
  let i = from;
  for (;;) {
    const param = parseAuthParam(text, i);
    const end = param === null ? -1 : elementEnd(text, param.end);
    if (param === null || end < 0 || seen.has(param.value.name.toLowerCase())) {
      return null;
    }
    seen.add(param.value.name.toLowerCase());
    params.push(param.value);
    const next = skipSeparators(text, end);
    if (next === text.length || !startsAuthParam(text, next)) {
      return { value: params, end: next };
    }
    i = next;
  }
}

/** One challenge at `from` (a scheme token); `end` is at the next element or end of input. */
function parseChallenge(text: string, from: number): Step<Challenge> | null {
  const schemeEnd = scanToken(text, from);
  if (schemeEnd === from) {
    return null;
  }
  const scheme = text.slice(from, schemeEnd);
  const bare = elementEnd(text, schemeEnd);
  if (bare >= 0) {
    return { value: { scheme, params: [] }, end: bare };
  }
  // `auth-scheme 1*SP ( token68 / #auth-param )`: only SP may separate the scheme, not HTAB.
  let start = schemeEnd;
  while (text[start] === ' ') {
    start += 1;
  }
  if (start === schemeEnd || text[start] === '\t') {
    return null;
  }
  const token68End = scanToken68(text, start);
  const afterToken68 = token68End > start ? elementEnd(text, token68End) : -1;
  if (afterToken68 >= 0) {
    return { value: { scheme, token68: text.slice(start, token68End), params: [] }, end: afterToken68 };
  }
  const params = parseParams(text, start);
  return params === null ? null : { value: { scheme, params: params.value }, end: params.end };
}

/**
 * Parses a `WWW-Authenticate` (or `Proxy-Authenticate`) field value into its challenges, in order.
 * Several challenges may share one field line (`Newauth realm="apps", Basic realm="simple"`).
 * Leading and trailing OWS and empty list elements are accepted; an empty value is an empty list.
 *
 * Pure and total: returns `null` for anything outside the grammar (a scheme not followed by SP,
 * a token68 followed by auth-params, an unterminated or control-character-bearing quoted-string,
 * a duplicate parameter name) and never throws.
 *
 * @see RFC 9110 §11.6.1, §11.2
 */
export function parseChallenges(headerValue: string): Challenge[] | null {
  const challenges: Challenge[] = [];
  let i = skipSeparators(headerValue, 0);
  while (i < headerValue.length) {
    const challenge = parseChallenge(headerValue, i);
    if (challenge === null) {
      return null;
    }
    challenges.push(challenge.value);
    i = skipSeparators(headerValue, challenge.end);
  }
  return challenges;
}
