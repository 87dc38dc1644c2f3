/**
 * Reading what the echo upstream received from its raw header lines rather than Node's merged
 * `headers` object, so a test sees duplicates, original spellings and every value as sent.
 */

import type { EchoRequest } from '../../src/demo/echo-upstream.js';

/** The identity headers of DESIGN.md §5, spelled as authentik sends them. */
export const IDENTITY_HEADERS = [
  'X-authentik-username',
  'X-authentik-groups',
  'X-authentik-entitlements',
  'X-authentik-email',
  'X-authentik-name',
  'X-authentik-uid',
  'X-authentik-jwt',
  'X-authentik-meta-app',
  'X-authentik-meta-outpost',
  'X-authentik-meta-provider',
  'X-authentik-meta-jwks',
  'X-authentik-meta-version',
] as const;

/** [name, value] for every header line the upstream received, in order, names as sent. */
export function fieldLines(seen: EchoRequest): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < seen.rawHeaders.length; i += 2) {
    out.push([seen.rawHeaders[i] as string, seen.rawHeaders[i + 1] as string]);
  }
  return out;
}

/** Every value of header `name` (case-insensitive) the upstream received, one per line. */
export function fieldValues(seen: EchoRequest, name: string): string[] {
  const lower = name.toLowerCase();
  return fieldLines(seen)
    .filter(([n]) => n.toLowerCase() === lower)
    .map(([, v]) => v);
}

/** The single value of `name`; fails the test (by throwing) when there is not exactly one line. */
export function onlyValue(seen: EchoRequest, name: string): string {
  const values = fieldValues(seen, name);
  if (values.length !== 1) {
    throw new Error(`expected exactly one ${name} line at the upstream, got ${values.length}: ${JSON.stringify(values)}`);
  }
  return values[0] as string;
}

/** Lower-cased names of the lines the upstream received whose name starts with `x-authentik-`. */
export function authentikNames(seen: EchoRequest): string[] {
  return fieldLines(seen)
    .map(([name]) => name.toLowerCase())
    .filter((name) => name.startsWith('x-authentik-'));
}

/** The path of the request target the upstream received (without the query). */
export function upstreamPath(seen: EchoRequest): string {
  const at = seen.url.indexOf('?');
  return at === -1 ? seen.url : seen.url.slice(0, at);
}

/** `X-authentik-groups` split at `|`, each part percent-decoded: the groups the upstream believes in. */
export function decodeList(value: string): string[] {
  return value === '' ? [] : value.split('|').map((part) => decodeURIComponent(part));
}
