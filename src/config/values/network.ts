/** Network-shaped values: host:port, CIDR ranges, http(s) and Redis URLs, cookie domains. */

import { z } from 'zod';
import { formatIp, isLoopbackHostname, parseCidr, parseIp } from '../ip.js';
import { show } from '../problems.js';
import { expecting, fail, kind } from './kinds.js';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const HOSTNAME = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})*$`);

function isHostname(text: string): boolean {
  // All-numeric names are malformed IPv4 addresses ("999.1.1.1"), not host names.
  return HOSTNAME.test(text) && !/^[\d.]+$/.test(text);
}

const HOST_PORT_EXPECTED = (value: unknown): string => `expected "host:port" (IPv6 as "[::1]:9000"), got ${show(value)}`;

/** The address, or the problem with it. */
function parseHostPort(value: string): ListenAddress | string {
  const match = /^(?:\[([^\]]*)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  if (match === null) return HOST_PORT_EXPECTED(value);
  const [, v6, name = '', portText = ''] = match;
  const port = Number(portText);
  if (port > 65535) return `expected a port between 0 and 65535, got ${show(value)}`;
  if (v6 !== undefined) {
    const ip = parseIp(v6);
    return ip === null || ip.bits !== 128 ? HOST_PORT_EXPECTED(value) : { host: formatIp(ip), port };
  }
  const ip = parseIp(name);
  if (ip !== null) return { host: formatIp(ip), port };
  return isHostname(name) ? { host: name.toLowerCase(), port } : HOST_PORT_EXPECTED(value);
}

/** "host:port", "[::1]:9000"; port 0 asks the system for a free port. */
export function hostPort() {
  const schema = z.string({ error: expecting(HOST_PORT_EXPECTED) }).transform((value, ctx) => {
    const parsed = parseHostPort(value);
    return typeof parsed === 'string' ? fail(ctx, parsed) : parsed;
  });
  return kind('host:port', schema);
}

/** Like hostPort, but the empty string means "disabled" (null). */
export function optionalHostPort() {
  const schema = z.string({ error: expecting(HOST_PORT_EXPECTED) }).transform((value, ctx): ListenAddress | null => {
    if (value === '') return null;
    const parsed = parseHostPort(value);
    return typeof parsed === 'string' ? fail(ctx, parsed) : parsed;
  });
  return kind('host:port, or "" to disable', schema);
}

const CIDR_EXPECTED = (value: unknown): string => `expected an IP address or a CIDR range such as "10.0.0.0/8", got ${show(value)}`;

/** An IP address (→ /32 or /128) or a CIDR range, normalized. */
export function cidr() {
  const schema = z.string({ error: expecting(CIDR_EXPECTED) }).transform((value, ctx) => {
    const result = parseCidr(value);
    if (result.ok) return result.cidr;
    if (result.networkAddress !== null) return fail(ctx, `expected a network address, got ${show(value)} (did you mean "${result.networkAddress}"?)`);
    return fail(ctx, CIDR_EXPECTED(value));
  });
  return kind('CIDR or IP', schema);
}

/**
 * Shows a URL with its user-info masked: Redis URLs carry passwords there, and a malformed URL
 * ("redis//:pw@host") must not leak one either. Everything up to the last "@" after the scheme
 * separator (or from the start, without one) is masked.
 */
function showUrl(value: unknown): string {
  if (typeof value !== 'string') return show(value);
  const at = value.lastIndexOf('@');
  if (at < 0) return show(value);
  const slashes = value.indexOf('//');
  const start = slashes >= 0 && slashes < at ? slashes + 2 : 0;
  return show(`${value.slice(0, start)}***${value.slice(at)}`);
}

export interface HttpUrlOptions {
  /**
   * origin: scheme://host[:port] only (a path of "/" is allowed and dropped);
   * base:   a base path is allowed and kept without its trailing slash;
   * exact:  kept exactly as written (an OpenID issuer is compared byte for byte).
   */
  readonly form: 'origin' | 'base' | 'exact';
}

const HTTP_URL_EXPECTED = (value: unknown): string => `expected an http(s) URL, got ${showUrl(value)}`;

/** The URL in its kept form, or the problem with it. */
function parseHttpUrl(value: string, options: HttpUrlOptions): { readonly url: string } | string {
  let url: URL | null = null;
  try {
    url = value.trim() === value ? new URL(value) : null;
  } catch {
    url = null;
  }
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:')) return HTTP_URL_EXPECTED(value);
  if (url.username !== '' || url.password !== '') return `must not contain credentials (user:password@), got ${showUrl(value)}`;
  if (url.search !== '' || url.hash !== '' || /[?#]/.test(value)) return `must not contain a query or fragment, got ${show(value)}`;
  if (options.form === 'origin' && url.pathname !== '/') return `expected an origin such as "https://app.example.com" (no path), got ${show(value)}`;
  if (options.form === 'origin') return { url: url.origin };
  if (options.form === 'base') return { url: `${url.origin}${url.pathname.replace(/\/+$/, '')}` };
  return { url: value };
}

/** An http(s) URL without credentials, query or fragment. */
export function httpUrl(options: HttpUrlOptions) {
  const schema = z.string({ error: expecting(HTTP_URL_EXPECTED) }).transform((value, ctx) => {
    const parsed = parseHttpUrl(value, options);
    return typeof parsed === 'string' ? fail(ctx, parsed) : parsed.url;
  });
  return kind(options.form === 'origin' ? 'http(s) origin' : 'http(s) URL', schema);
}

/** Like httpUrl, but "" means "not given" (null). */
export function optionalHttpUrl(options: HttpUrlOptions) {
  const schema = z.string({ error: expecting(HTTP_URL_EXPECTED) }).transform((value, ctx): string | null => {
    if (value === '') return null;
    const parsed = parseHttpUrl(value, options);
    return typeof parsed === 'string' ? fail(ctx, parsed) : parsed.url;
  });
  return kind('http(s) URL', schema);
}

/** Whether an http(s) URL may be used over plain http: https, or a loopback host. */
export function isHttpsOrLoopback(url: string): boolean {
  return !url.startsWith('http:') || isLoopbackHostname(new URL(url).hostname);
}

/** A Redis connection URL with one of the given schemes, kept as written. */
export function redisUrl(schemes: readonly string[]) {
  const names = schemes.map((s) => `${s}://`);
  const expected = (value: unknown): string => `expected a ${names.slice(0, -1).join(', ')}${names.length > 1 ? ' or ' : ''}${names.at(-1) ?? ''} URL, got ${showUrl(value)}`;
  const schema = z.string({ error: expecting(expected) }).transform((value, ctx) => {
    const match = /^([a-z+]+):\/\/[^\s/]+(?:\/\S*)?$/.exec(value);
    return match === null || !schemes.includes(match[1] ?? '') ? fail(ctx, expected(value)) : match[0];
  });
  return kind(`${names.join(' / ')} URL`, schema);
}

/** "", ".example.com" or "example.com"; stored in lower case. */
export function cookieDomain() {
  const expected = (value: unknown): string => `expected a domain such as ".example.com", got ${show(value)}`;
  const schema = z.string({ error: expecting(expected) }).transform((value, ctx) => {
    if (value === '') return '';
    return isHostname(value.replace(/^\./, '')) ? value.toLowerCase() : fail(ctx, expected(value));
  });
  return kind('domain', schema);
}

/** Whether `hostname` is `domain` or below it, at a label boundary. */
export function isUnderDomain(hostname: string, domain: string): boolean {
  const bare = domain.replace(/^\./, '').toLowerCase();
  const host = hostname.toLowerCase();
  return host === bare || host.endsWith(`.${bare}`);
}
