/**
 * `timeouts` and `limits`: how long and how large a request may be, and how many failed Basic
 * logins are allowed (Portcullis extensions). Node's HTTP server enforces the header size and the
 * request / headers / keep-alive timeouts; the gateway enforces the rest.
 */

import { z } from 'zod';
import { show } from '../problems.js';
import { field } from '../values/field.js';
import { expecting, fail, kind } from '../values/kinds.js';
import { durationsInMs, INVALID, mapping, withRule } from '../values/mapping.js';
import { duration, integer } from '../values/scalars.js';

const UNITS: Readonly<Record<string, number>> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };
const SIZE = /^(\d+)\s*(B|KiB|MiB|GiB)?$/;

/**
 * A size in bytes: a whole number, or one with a binary unit (`16KiB`, `100MiB`, `2GiB`). Only
 * binary units: `10MB` would leave the reader guessing whether it means 10^7 or 10·2^20.
 */
function size(bounds: { readonly min: number; readonly max: number }) {
  const malformed = (value: unknown): string => `expected a size such as 16384, "16KiB" or "100MiB", got ${show(value)}`;
  const outOfBounds = (value: unknown): string => `expected a size from ${bounds.min} to ${bounds.max} bytes, got ${show(value)}`;
  const error = expecting((value) => (Number.isSafeInteger(value) ? outOfBounds(value) : malformed(value)));
  const schema = z
    .union([z.number({ error }).int({ error }).min(bounds.min, { error }).max(bounds.max, { error }), z.string({ error }).regex(SIZE, { error })], { error })
    .transform((value, ctx) => {
      const match = typeof value === 'string' ? SIZE.exec(value) : null;
      const bytes = typeof value === 'number' ? value : match === null ? NaN : Number(match[1]) * (UNITS[match[2] ?? 'B'] ?? NaN);
      if (!Number.isSafeInteger(bytes)) return fail(ctx, malformed(value));
      return bytes >= bounds.min && bytes <= bounds.max ? bytes : fail(ctx, outOfBounds(value));
    });
  return kind('size (bytes, or `KiB`, `MiB`, `GiB`)', schema);
}

const timeoutKeys = mapping({
  upstreamConnect: field(duration(), { default: '5s', description: 'Opening a connection to an upstream application.' }),
  upstreamResponse: field(duration(), { default: '60s', description: 'Waiting for an upstream\'s response headers; then 504.' }),
  idp: field(duration(), { default: '5s', description: 'Any single call to the identity provider; then 503.' }),
  shutdown: field(duration(), { default: '30s', description: 'How long SIGTERM waits for in-flight requests.' }),
  request: field(duration(), {
    default: '5m',
    description: 'Receiving a whole request, body included (Node `requestTimeout`); then 408. Raise it for slow, large uploads.',
  }),
  headers: field(duration(), {
    default: '20s',
    description: 'Receiving a request\'s headers (Node `headersTimeout`): a client trickling them (slowloris) is cut off with 408.',
  }),
  keepAlive: field(duration(), {
    default: '72s',
    description: 'How long an idle keep-alive connection stays open; longer than a load balancer\'s usual 60 s, so the balancer closes first.',
  }),
});

/** Node refuses `headersTimeout` above `requestTimeout`; say so while validating. */
export const timeouts = withRule(timeoutKeys, ({ request, headers }, ctx) => {
  if (request === INVALID || headers === INVALID || headers <= request) return;
  ctx.report(['headers'], `must not be longer than timeouts.request (${request} ms), got ${headers} ms`);
}).transform((value) => durationsInMs(value, ['upstreamConnect', 'upstreamResponse', 'idp', 'shutdown', 'request', 'headers', 'keepAlive']));

const failedLogins = mapping({
  perUser: field(integer({ min: 0, max: 1_000_000 }), {
    default: 10,
    description:
      'Failed Basic checks per username (NFKC, trimmed, lower-cased) per window before new attempts for it get 429; credentials already known good are never limited. 0 disables.',
  }),
  perAddress: field(integer({ min: 0, max: 1_000_000 }), {
    default: 50,
    description: 'Failed Basic checks per client address (after `trustedProxies`; IPv6 per /64) per window before its new attempts get 429. 0 disables.',
  }),
  window: field(duration(), { default: '5m', description: 'Sliding window the failures are counted over; also the `Retry-After` of a 429.' }),
}).transform((value) => durationsInMs(value, ['window']));

const limitKeys = mapping({
  maxHeaderSize: field(size({ min: 1024, max: 1024 ** 2 }), {
    default: '16KiB',
    description: 'Request line plus headers (Node `maxHeaderSize`); larger requests get 431 before anything else runs.',
  }),
  maxUrlLength: field(size({ min: 64, max: 1024 ** 2 }), {
    default: '8KiB',
    description: 'Longest request target (path and query); longer ones get 414 before any identity-provider call.',
  }),
  maxRequestBody: field(size({ min: 0, max: 1024 ** 4 }), {
    default: 0,
    description:
      'Largest proxied request body; 0 means unlimited. A larger `Content-Length` gets 413 before the upstream is contacted; a streamed body is cut at the limit (413, upstream request aborted).',
  }),
  failedLogins: field(failedLogins, { default: {}, description: 'Brute-force protection for Basic credentials, shared by replicas through the session store.' }),
});

/** The request line counts toward Node's header limit, so a longer URL limit could never apply. */
export const limits = withRule(limitKeys, ({ maxHeaderSize, maxUrlLength }, ctx) => {
  if (maxHeaderSize === INVALID || maxUrlLength === INVALID || maxUrlLength < maxHeaderSize) return;
  ctx.report(['maxUrlLength'], `must be less than limits.maxHeaderSize (${maxHeaderSize} bytes), which also counts the request line; got ${maxUrlLength}`);
});
