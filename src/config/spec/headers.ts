/** `additionalHeaders`: static headers added to every upstream request of an application. */

import { map } from '../schema/collections.js';
import { leaf } from '../schema/core.js';
import { show, showSecret } from '../schema/problems.js';

/** @see RFC 9110 §5.1 field-name = token */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Headers Portcullis itself sets, strips or frames; a static value would break or spoof them:
 * framing and hop-by-hop headers (a static `Upgrade` or `Expect` breaks every request), and the
 * forwarding headers that carry the client address Portcullis worked out.
 */
const MANAGED = new Set([
  'host',
  'authorization',
  'proxy-authorization',
  'content-length',
  'transfer-encoding',
  'connection',
  'cookie',
  'keep-alive',
  'upgrade',
  'expect',
  'te',
  'trailer',
  'proxy-connection',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-real-ip',
]);

/**
 * Why a header name may not be added to upstream requests (statically, or from a user's
 * `additionalHeaders` attribute), or null when it may.
 */
export function extraHeaderProblem(value: unknown): string | null {
  if (typeof value !== 'string' || !TOKEN.test(value)) return `expected an HTTP header name, got ${show(value)}`;
  const lower = value.toLowerCase();
  if (lower.startsWith('x-authentik-')) return `"${value}" cannot be set: names starting with "x-authentik-" are reserved for identity headers`;
  if (MANAGED.has(lower)) return `"${value}" cannot be set: Portcullis manages this header`;
  // nginx and others read "_" as "-": X_Authentik_Username could pass for X-Authentik-Username.
  if (value.includes('_')) return `"${value}" cannot be set: header names containing "_" are not allowed`;
  return null;
}

const headerName = leaf<string>('header name', (value, fail) => {
  const problem = extraHeaderProblem(value);
  return problem === null ? (value as string) : fail(problem);
});

/**
 * Header values may carry API keys, so they are never shown. Node refuses anything outside
 * HTAB, visible ASCII and Latin-1 at request time; refusing it here keeps that out of requests.
 */
const headerValue = leaf<string>('string', (value, fail) => {
  if (typeof value !== 'string') return fail(`expected a string, got ${showSecret(value)}`);
  if (/[^\t\x20-\x7e\x80-\xff]/.test(value)) {
    return fail('expected a header value without control characters (CR, LF, NUL) or characters beyond Latin-1');
  }
  return value;
});

export const additionalHeaders = map(headerName, headerValue, {
  type: 'mapping of header name → string',
  checkKeys(keys, at, ctx) {
    const seen = new Map<string, string>();
    for (const key of keys) {
      const first = seen.get(key.toLowerCase());
      if (first === undefined) seen.set(key.toLowerCase(), key);
      else ctx.problems.add(at.key(key), `duplicate header name (same as "${first}"; names are case-insensitive)`);
    }
  },
});
