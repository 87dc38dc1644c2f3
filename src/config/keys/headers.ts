/** `additionalHeaders`: static headers added to every upstream request of an application. */

import { z } from 'zod';
import { isPlainObject } from '../plain.js';
import { show, showSecret } from '../problems.js';
import { expecting, kind } from '../values/kinds.js';

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

/**
 * Header values may carry API keys, so they are never shown. Node refuses anything outside
 * HTAB, visible ASCII and Latin-1 at request time; refusing it here keeps that out of requests.
 */
const headerValue = z.string({ error: expecting((value) => `expected a string, got ${showSecret(value)}`) }).superRefine((value, ctx) => {
  if (/[^\t\x20-\x7e\x80-\xff]/.test(value)) {
    ctx.addIssue({ code: 'custom', message: 'expected a header value without control characters (CR, LF, NUL) or characters beyond Latin-1' });
  }
});

/**
 * Every entry is checked here, before the mapping is built: names one by one and against each
 * other (HTTP header names are case-insensitive), values one by one. zod's records skip a
 * `__proto__` key without a word; this check sees it like any other name.
 */
function checkEntries(raw: unknown, ctx: z.RefinementCtx): unknown {
  if (!isPlainObject(raw)) return raw;
  const seen = new Map<string, string>();
  for (const [name, value] of Object.entries(raw)) {
    const problem = extraHeaderProblem(name);
    if (problem !== null) ctx.addIssue({ code: 'custom', path: [name], message: problem });
    const first = seen.get(name.toLowerCase());
    if (first === undefined) seen.set(name.toLowerCase(), name);
    else ctx.addIssue({ code: 'custom', path: [name], message: `duplicate header name (same as "${first}"; names are case-insensitive)` });
    for (const issue of headerValue.safeParse(value).error?.issues ?? []) ctx.addIssue({ code: 'custom', path: [name], message: issue.message });
  }
  return raw;
}

export const additionalHeaders = kind(
  'mapping of header name → string',
  z.preprocess(checkEntries, z.record(z.string(), headerValue, { error: expecting((value) => `expected a mapping, got ${show(value)}`) })),
);
