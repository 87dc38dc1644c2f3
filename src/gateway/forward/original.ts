/**
 * Reading the original request a forward-auth proxy asks about from the header values it
 * sends (`X-Original-URL`, `X-Forwarded-Uri`, …). Pure: each function takes the header
 * lines as received and returns the value or the reason it was refused. Nothing here is
 * lenient on purpose: a forwarded value that is missing, repeated or malformed is a
 * misconfigured or spoofing peer, and the answer to it is a 4xx, never a guess.
 *
 * @see RFC 9110 §5.6.2 (token, for methods), RFC 3986 §3.2.2 (host), §3.3–3.4 (path, query)
 */

import { normalizeHost } from '../host-router.js';

/** What the proxy's client actually asked for. */
export interface OriginalRequest {
  readonly method: string;
  /** `host[:port]`, lower case, as the client addressed it. */
  readonly host: string;
  /** The path exactly as sent, before normalization. */
  readonly rawPath: string;
  /** The query with its `?`, or ''. */
  readonly query: string;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

/** Header lines as `headerLines` returns them: one entry per field line. */
export type HeaderLines = readonly string[] | undefined;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Everything an origin-form target may hold once the client's encoder has run; spaces and
// controls would already have been refused by any HTTP parser on the way here.
const TARGET = /^\/[\x21-\x7e]*$/;
const MAX_TARGET_LENGTH = 8192;

export function ok<T>(value: T): Parsed<T> {
  return { ok: true, value };
}

export function problem<T>(text: string): Parsed<T> {
  return { ok: false, problem: text };
}

type Values<T> = { readonly [K in keyof T]: T[K] extends Parsed<infer V> ? V : never };

/** All the values, or the first problem among them (in key order). */
export function allOf<T extends Record<string, Parsed<unknown>>>(parts: T): Parsed<Values<T>> {
  const values: Record<string, unknown> = {};
  // for…in over the literal's own keys: Object.entries would build an array of pairs per decision.
  for (const key in parts) {
    const part = parts[key] as Parsed<unknown>;
    if (!part.ok) {
      return part;
    }
    values[key] = part.value;
  }
  return ok(values as Values<T>);
}

/**
 * The one value of a header that must appear at most once. Two lines (or a comma list, for
 * headers that never hold commas) mean two proxies disagreed or a client added its own.
 */
export function singleValue(name: string, lines: HeaderLines): Parsed<string | undefined> {
  if (lines === undefined || lines.length === 0) {
    return ok(undefined);
  }
  if (lines.length > 1) {
    return problem(`${name} was sent ${lines.length} times`);
  }
  return ok(lines[0]);
}

/** `X-Forwarded-Uri`, `X-Original-URI`, Envoy's path: an origin-form request target. */
export function parseRequestTarget(name: string, value: string): Parsed<{ rawPath: string; query: string }> {
  if (value.length > MAX_TARGET_LENGTH) {
    return problem(`${name} is longer than ${MAX_TARGET_LENGTH} characters`);
  }
  if (!TARGET.test(value)) {
    return problem(`${name} must be a path starting with "/", got ${quote(value)}`);
  }
  const fragment = value.indexOf('#');
  if (fragment !== -1) {
    return problem(`${name} must not hold a fragment`);
  }
  const queryAt = value.indexOf('?');
  return ok(queryAt === -1 ? { rawPath: value, query: '' } : { rawPath: value.slice(0, queryAt), query: value.slice(queryAt) });
}

const ABSOLUTE_URL = /^(https?):\/\/([^/?#]*)(.*)$/i;

/** `X-Original-URL`: an absolute http(s) URL without user info. */
export function parseAbsoluteUrl(name: string, value: string): Parsed<{ host: string; rawPath: string; query: string }> {
  const match = ABSOLUTE_URL.exec(value);
  if (match === null) {
    return problem(`${name} must be an absolute http(s) URL, got ${quote(value)}`);
  }
  const authority = match[2] ?? '';
  // `https://app@evil.example/` names evil.example: user info is refused, not interpreted.
  if (authority.includes('@')) {
    return problem(`${name} must not hold user info`);
  }
  const host = parseHost(name, authority);
  if (!host.ok) {
    return host;
  }
  const rest = match[3] === '' || match[3] === undefined ? '/' : match[3];
  const target = parseRequestTarget(name, rest.startsWith('?') ? `/${rest}` : rest);
  return target.ok ? ok({ host: host.value, rawPath: target.value.rawPath, query: target.value.query }) : target;
}

/** `X-Forwarded-Host`, `Host`: one `host[:port]`. */
export function parseHost(name: string, value: string): Parsed<string> {
  const host = normalizeHost(value);
  if (host === null || value.includes(',')) {
    return problem(`${name} must be one host[:port], got ${quote(value)}`);
  }
  return ok(host);
}

/** `X-Forwarded-Proto`: `http` or `https`. */
export function parseProto(name: string, value: string): Parsed<'http' | 'https'> {
  const proto = value.trim().toLowerCase();
  if (proto !== 'http' && proto !== 'https') {
    return problem(`${name} must be "http" or "https", got ${quote(value)}`);
  }
  return ok(proto);
}

/** `X-Forwarded-Method`, `X-Original-Method`: an RFC 9110 token, kept as sent (methods are case-sensitive). */
export function parseMethod(name: string, value: string): Parsed<string> {
  if (value.length > 32 || !TOKEN.test(value)) {
    return problem(`${name} must be an HTTP method, got ${quote(value)}`);
  }
  return ok(value);
}

/** Reads `name` with `parse` when present; `fallback` when absent. */
export function optionalHeader<T>(name: string, lines: HeaderLines, parse: (name: string, value: string) => Parsed<T>, fallback: T): Parsed<T> {
  const single = singleValue(name, lines);
  if (!single.ok) {
    return single;
  }
  return single.value === undefined ? ok(fallback) : parse(name, single.value);
}

/** Reads `name` with `parse`; absent is a problem. */
export function requiredHeader<T>(name: string, lines: HeaderLines, parse: (name: string, value: string) => Parsed<T>): Parsed<T> {
  const single = singleValue(name, lines);
  if (!single.ok) {
    return single;
  }
  return single.value === undefined ? problem(`${name} is missing`) : parse(name, single.value);
}

const MAX_QUOTED = 80;

function quote(value: string): string {
  return JSON.stringify(value.length > MAX_QUOTED ? `${value.slice(0, MAX_QUOTED)}…` : value);
}
