/** Network-shaped values: host:port, CIDR ranges, http(s) and Redis URLs, cookie domains. */

import type { ListenAddress } from '../types.js';
import { leaf } from './core.js';
import type { Fail, Schema } from './core.js';
import { formatIp, parseCidr, parseIp, isLoopbackHostname } from './ip.js';
import { show } from './problems.js';
import type { Invalid } from './problems.js';

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const HOSTNAME = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})*$`);

function isHostname(text: string): boolean {
  // All-numeric names are malformed IPv4 addresses ("999.1.1.1"), not host names.
  return HOSTNAME.test(text) && !/^[\d.]+$/.test(text);
}

const HOST_PORT_EXPECTED = 'expected "host:port" (IPv6 as "[::1]:9000")';

function parseHostPort(value: unknown, fail: Fail): ListenAddress | Invalid {
  if (typeof value !== 'string') return fail(`${HOST_PORT_EXPECTED}, got ${show(value)}`);
  const match = /^(?:\[([^\]]*)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  if (match === null) return fail(`${HOST_PORT_EXPECTED}, got ${show(value)}`);
  const [, v6, name = '', portText = ''] = match;
  const port = Number(portText);
  if (port > 65535) return fail(`expected a port between 0 and 65535, got ${show(value)}`);
  if (v6 !== undefined) {
    const ip = parseIp(v6);
    if (ip === null || ip.bits !== 128) return fail(`${HOST_PORT_EXPECTED}, got ${show(value)}`);
    return { host: formatIp(ip), port };
  }
  const ip = parseIp(name);
  if (ip !== null) return { host: formatIp(ip), port };
  if (!isHostname(name)) return fail(`${HOST_PORT_EXPECTED}, got ${show(value)}`);
  return { host: name.toLowerCase(), port };
}

/** "host:port", "[::1]:9000"; port 0 asks the system for a free port. */
export function hostPort(): Schema<ListenAddress> {
  return leaf('host:port', parseHostPort);
}

/** Like hostPort, but the empty string means "disabled" (null). */
export function optionalHostPort(): Schema<ListenAddress | null> {
  return leaf('host:port, or "" to disable', (value, fail) => (value === '' ? null : parseHostPort(value, fail)));
}

/** An IP address (→ /32 or /128) or a CIDR range, normalized. */
export function cidr(): Schema<string> {
  return leaf('CIDR or IP', (value, fail) => {
    const result = typeof value === 'string' ? parseCidr(value) : ({ ok: false, networkAddress: null } as const);
    if (result.ok) return result.cidr;
    if (result.networkAddress !== null) {
      return fail(`expected a network address, got ${show(value)} (did you mean "${result.networkAddress}"?)`);
    }
    return fail(`expected an IP address or a CIDR range such as "10.0.0.0/8", got ${show(value)}`);
  });
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
  /** Refuse plain http except for loopback hosts. */
  readonly httpsUnlessLoopback?: boolean;
  /** "" is accepted and returned as null. */
  readonly emptyAsNull?: boolean;
}

function parseHttpUrl(value: unknown, options: HttpUrlOptions, fail: Fail): string | Invalid {
  let url: URL | null = null;
  if (typeof value === 'string' && value.trim() === value) {
    try {
      url = new URL(value);
    } catch {
      url = null;
    }
  }
  if (url === null || typeof value !== 'string' || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    return fail(`expected an http(s) URL, got ${showUrl(value)}`);
  }
  if (url.username !== '' || url.password !== '') {
    return fail(`must not contain credentials (user:password@), got ${showUrl(value)}`);
  }
  if (url.search !== '' || url.hash !== '' || /[?#]/.test(value)) {
    return fail(`must not contain a query or fragment, got ${show(value)}`);
  }
  if (options.form === 'origin' && url.pathname !== '/') {
    return fail(`expected an origin such as "https://app.example.com" (no path), got ${show(value)}`);
  }
  if (options.httpsUnlessLoopback === true && url.protocol !== 'https:' && !isLoopbackHostname(url.hostname)) {
    return fail(`must use https unless the host is loopback (localhost, 127.0.0.0/8, ::1), got ${show(value)}`);
  }
  if (options.form === 'origin') return url.origin;
  if (options.form === 'base') return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  return value;
}

export function httpUrl(options: HttpUrlOptions & { readonly emptyAsNull: true }): Schema<string | null>;
export function httpUrl(options: HttpUrlOptions): Schema<string>;
export function httpUrl(options: HttpUrlOptions): Schema<string | null> {
  const type = options.form === 'origin' ? 'http(s) origin' : 'http(s) URL';
  return leaf(type, (value, fail) =>
    options.emptyAsNull === true && value === '' ? null : parseHttpUrl(value, options, fail),
  );
}

/** A Redis connection URL with one of the given schemes, kept as written. */
export function redisUrl(schemes: readonly string[]): Schema<string> {
  const names = schemes.map((s) => `${s}://`);
  const expected = `expected a ${names.slice(0, -1).join(', ')}${names.length > 1 ? ' or ' : ''}${names.at(-1) ?? ''} URL`;
  return leaf(`${names.join(' / ')} URL`, (value, fail) => {
    const match = typeof value === 'string' ? /^([a-z+]+):\/\/[^\s/]+(?:\/\S*)?$/.exec(value) : null;
    if (match === null || !schemes.includes(match[1] ?? '')) return fail(`${expected}, got ${showUrl(value)}`);
    return match[0];
  });
}

/** "", ".example.com" or "example.com"; stored in lower case. */
export function cookieDomain(): Schema<string> {
  return leaf('domain', (value, fail) => {
    if (value === '') return '';
    const name = typeof value === 'string' ? value.replace(/^\./, '') : '';
    if (typeof value !== 'string' || !isHostname(name)) {
      return fail(`expected a domain such as ".example.com", got ${show(value)}`);
    }
    return value.toLowerCase();
  });
}

/** Whether `hostname` is `domain` or below it, at a label boundary. */
export function isUnderDomain(hostname: string, domain: string): boolean {
  const bare = domain.replace(/^\./, '').toLowerCase();
  const host = hostname.toLowerCase();
  return host === bare || host.endsWith(`.${bare}`);
}
