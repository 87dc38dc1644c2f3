/**
 * A fetch-driven "browser" for login-flow tests. It keeps cookies per host name the way
 * browsers do (ports do not isolate cookies; `Secure` ones only travel over https), never
 * follows a redirect by itself so each hop can be inspected, and resolves every host name to
 * loopback, so `a.localhost` and `b.localhost` can be two applications of one gateway.
 *
 * An https externalHost can be served by the plain-http gateway as if a TLS terminator stood
 * in front: `tlsTerminated` maps `https://host` to the `http://host:port` that answers it.
 */

import type { LookupAddress, LookupOptions } from 'node:dns';
import { Agent, fetch, Headers as RequestHeaders } from 'undici';

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

function loopbackLookup(_hostname: string, options: LookupOptions, callback: LookupCallback): void {
  if (options.all === true) {
    callback(null, [{ address: '127.0.0.1', family: 4 }]);
  } else {
    callback(null, '127.0.0.1', 4);
  }
}

/** Every host name is 127.0.0.1 (Chromium does the same for `*.localhost`). */
export const loopbackAgent = new Agent({ connect: { lookup: loopbackLookup }, keepAliveTimeout: 1_000 });

export interface Hop {
  /** The URL as the browser sees it (before any TLS-terminator mapping). */
  readonly url: string;
  readonly status: number;
  readonly headers: Headers;
  readonly setCookies: readonly string[];
  /** The absolute Location, or null when there is none. */
  readonly location: string | null;
  readonly body: string;
}

export interface RequestOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly form?: Record<string, string>;
  /** Default: what a browser sends for a navigation. */
  readonly accept?: string;
  /** Send no cookies (and keep none). */
  readonly anonymous?: boolean;
}

export interface WalkOptions {
  /** Filled into the IdP login form when it shows up (once). */
  readonly credentials?: { readonly username: string; readonly password: string };
  /** Stop before requesting a URL for which this is true; the URL is returned as `stoppedAt`. */
  readonly until?: (url: URL) => boolean;
  readonly maxHops?: number;
}

export interface Walk {
  readonly hops: readonly Hop[];
  /** The last response (a page, not a redirect), or undefined when stopped by `until`. */
  readonly final: Hop | undefined;
  readonly stoppedAt: string | undefined;
}

export const NAVIGATION_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

interface StoredCookie {
  readonly value: string;
  readonly secure: boolean;
}

export class HttpBrowser {
  readonly #jar = new Map<string, Map<string, StoredCookie>>();
  readonly #tls: ReadonlyMap<string, string>;

  constructor(options: { tlsTerminated?: Record<string, string> } = {}) {
    this.#tls = new Map(Object.entries(options.tlsTerminated ?? {}));
  }

  /** The value of cookie `name` for `url`'s host, or undefined. */
  cookie(url: string, name: string): string | undefined {
    return this.#jar.get(new URL(url).hostname)?.get(name)?.value;
  }

  cookieNames(url: string): string[] {
    return [...(this.#jar.get(new URL(url).hostname)?.keys() ?? [])];
  }

  setCookie(url: string, name: string, value: string): void {
    const host = new URL(url).hostname;
    const cookies = this.#jar.get(host) ?? new Map<string, StoredCookie>();
    cookies.set(name, { value, secure: false });
    this.#jar.set(host, cookies);
  }

  deleteCookie(url: string, name: string): void {
    this.#jar.get(new URL(url).hostname)?.delete(name);
  }

  async request(url: string, options: RequestOptions = {}): Promise<Hop> {
    const target = new URL(url);
    const headers = new RequestHeaders(options.headers);
    if (!headers.has('accept')) headers.set('accept', options.accept ?? NAVIGATION_ACCEPT);
    const cookie = options.anonymous === true ? '' : this.#cookieHeader(target);
    if (cookie !== '' && !headers.has('cookie')) headers.set('cookie', cookie);
    let body: string | undefined;
    if (options.form !== undefined) {
      headers.set('content-type', 'application/x-www-form-urlencoded');
      body = new URLSearchParams(options.form).toString();
    }
    const response = await fetch(this.#wireUrl(target), {
      method: options.method ?? (body === undefined ? 'GET' : 'POST'),
      headers,
      ...(body === undefined ? {} : { body }),
      redirect: 'manual',
      dispatcher: loopbackAgent,
    });
    const setCookies = response.headers.getSetCookie();
    if (options.anonymous !== true) this.#take(target, setCookies);
    const raw = response.headers.get('location');
    return {
      url: target.href,
      status: response.status,
      headers: response.headers as unknown as Headers,
      setCookies,
      location: raw === null ? null : new URL(raw, target).href,
      body: await response.text(),
    };
  }

  /** Follows redirects like a browser, filling the IdP login form when it appears. */
  async walk(url: string, options: WalkOptions = {}): Promise<Walk> {
    const hops: Hop[] = [];
    let next: string = url;
    let formFilled = false;
    let pending: RequestOptions = {};
    for (let i = 0; i < (options.maxHops ?? 20); i += 1) {
      if (options.until?.(new URL(next)) === true) return { hops, final: undefined, stoppedAt: next };
      const hop = await this.request(next, pending);
      hops.push(hop);
      pending = {};
      if (hop.status >= 300 && hop.status < 400 && hop.location !== null) {
        next = hop.location;
        continue;
      }
      if (options.credentials !== undefined && !formFilled && isLoginForm(hop.body)) {
        formFilled = true;
        next = formAction(hop.body, hop.url);
        pending = { form: { username: options.credentials.username, password: options.credentials.password } };
        continue;
      }
      return { hops, final: hop, stoppedAt: undefined };
    }
    throw new Error(`more than ${options.maxHops ?? 20} hops from ${url}: ${hops.map((h) => `${h.status} ${h.url}`).join(' -> ')}`);
  }

  #wireUrl(target: URL): string {
    const mapped = this.#tls.get(target.origin);
    return mapped === undefined ? target.href : `${mapped}${target.pathname}${target.search}`;
  }

  #cookieHeader(target: URL): string {
    const https = target.protocol === 'https:';
    const cookies = this.#jar.get(target.hostname) ?? new Map<string, StoredCookie>();
    return [...cookies]
      .filter(([, cookie]) => https || !cookie.secure)
      .map(([name, cookie]) => `${name}=${cookie.value}`)
      .join('; ');
  }

  #take(target: URL, lines: readonly string[]): void {
    for (const line of lines) {
      const parsed = parseSetCookie(line);
      // A Secure cookie set over plain http is dropped (RFC 6265bis §5.6 step 8).
      if (parsed.secure && target.protocol !== 'https:') continue;
      const cookies = this.#jar.get(target.hostname) ?? new Map<string, StoredCookie>();
      if (parsed.expired) cookies.delete(parsed.name);
      else cookies.set(parsed.name, { value: parsed.value, secure: parsed.secure });
      this.#jar.set(target.hostname, cookies);
    }
  }
}

export interface ParsedSetCookie {
  readonly name: string;
  readonly value: string;
  /** Attribute names in lower case, with their values ('' for flags). */
  readonly attributes: ReadonlyMap<string, string>;
  readonly secure: boolean;
  readonly expired: boolean;
}

export function parseSetCookie(line: string): ParsedSetCookie {
  const [pair = '', ...rest] = line.split(';');
  const eq = pair.indexOf('=');
  const attributes = new Map<string, string>();
  for (const part of rest) {
    const at = part.indexOf('=');
    const key = (at === -1 ? part : part.slice(0, at)).trim().toLowerCase();
    attributes.set(key, at === -1 ? '' : part.slice(at + 1).trim());
  }
  const maxAge = attributes.get('max-age');
  const expires = attributes.get('expires');
  const expired =
    (maxAge !== undefined && Number(maxAge) <= 0) || (maxAge === undefined && expires !== undefined && Date.parse(expires) <= Date.now());
  return {
    name: pair.slice(0, eq).trim(),
    value: pair.slice(eq + 1).trim(),
    attributes,
    secure: attributes.has('secure'),
    expired,
  };
}

/** The Set-Cookie lines of `hop` for cookie `name`. */
export function setCookiesNamed(hop: Hop, name: string): ParsedSetCookie[] {
  return hop.setCookies.map(parseSetCookie).filter((cookie) => cookie.name === name);
}

export function isLoginForm(html: string): boolean {
  return /<form[^>]*method="post"/i.test(html) && html.includes('name="username"') && html.includes('name="password"');
}

export function formAction(html: string, base: string): string {
  const match = /<form[^>]*action="([^"]+)"/.exec(html);
  if (match?.[1] === undefined) throw new Error(`no form in page: ${html.slice(0, 300)}`);
  return new URL(decodeEntities(match[1]), base).href;
}

/** The hidden inputs of the first form (the IdP's end-session confirmation). */
export function hiddenFields(html: string): Record<string, string> {
  return Object.fromEntries(
    [...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [decodeEntities(m[1] ?? ''), decodeEntities(m[2] ?? '')]),
  );
}

function decodeEntities(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** The payload of a JWT, unverified (for reading `exp`, `sub`… of tokens a test already trusts). */
export function jwtPayload(token: string): Record<string, unknown> {
  const part = token.split('.')[1];
  if (part === undefined) throw new Error('not a JWT');
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}
