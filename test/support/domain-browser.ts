/**
 * A fetch-driven browser for forward-auth tests, where one login must cover several hosts:
 * cookies follow RFC 6265 domain matching (a `Domain=example.test` cookie goes to every host
 * under it, a cookie without `Domain` only to the host that set it; ports never isolate
 * cookies), redirects are followed by hand so every hop can be inspected, and every host name
 * resolves to 127.0.0.1, so `a.app.localhost:8080` reaches the proxy under test on loopback
 * with the right `Host` header.
 */

import type { LookupAddress, LookupOptions } from 'node:dns';
import { Agent, fetch, Headers } from 'undici';

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

function loopbackLookup(_hostname: string, options: LookupOptions, callback: LookupCallback): void {
  if (options.all === true) {
    callback(null, [{ address: '127.0.0.1', family: 4 }]);
  } else {
    callback(null, '127.0.0.1', 4);
  }
}

/** Every host name is 127.0.0.1. */
export const loopbackDispatcher = new Agent({ connect: { lookup: loopbackLookup }, keepAliveTimeout: 1_000 });

export const NAVIGATION_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

interface Cookie {
  readonly name: string;
  readonly value: string;
  /** The Domain attribute without its leading dot, or null for a host-only cookie. */
  readonly domain: string | null;
  /** The host that set it. */
  readonly host: string;
  readonly path: string;
  readonly secure: boolean;
}

export interface Step {
  readonly url: string;
  readonly status: number;
  readonly headers: Headers;
  readonly setCookies: readonly string[];
  /** The absolute Location, or null. */
  readonly location: string | null;
  readonly body: string;
}

export interface VisitOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly form?: Record<string, string>;
}

export class DomainBrowser {
  #cookies: Cookie[] = [];

  /** The cookies this browser would send to `url`, as a name → value map. */
  cookiesFor(url: string): Record<string, string> {
    const target = new URL(url);
    return Object.fromEntries(this.#matching(target).map((cookie) => [cookie.name, cookie.value]));
  }

  /** Every stored cookie named `name` (to inspect its Domain). */
  stored(name: string): readonly { readonly domain: string | null; readonly host: string }[] {
    return this.#cookies.filter((cookie) => cookie.name === name).map(({ domain, host }) => ({ domain, host }));
  }

  async visit(url: string, options: VisitOptions = {}): Promise<Step> {
    const target = new URL(url);
    const headers = new Headers(options.headers);
    if (!headers.has('accept')) headers.set('accept', NAVIGATION_ACCEPT);
    const cookie = this.#matching(target)
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
    if (cookie !== '') headers.set('cookie', cookie);
    let body: string | undefined;
    if (options.form !== undefined) {
      headers.set('content-type', 'application/x-www-form-urlencoded');
      body = new URLSearchParams(options.form).toString();
    }
    const response = await fetch(target, {
      method: options.method ?? (body === undefined ? 'GET' : 'POST'),
      headers,
      ...(body === undefined ? {} : { body }),
      redirect: 'manual',
      dispatcher: loopbackDispatcher,
    });
    const setCookies = response.headers.getSetCookie();
    for (const line of setCookies) this.#store(target, line);
    const location = response.headers.get('location');
    return {
      url: target.href,
      status: response.status,
      headers: response.headers,
      setCookies,
      location: location === null ? null : new URL(location, target).href,
      body: await response.text(),
    };
  }

  /**
   * Follows redirects from `url` like a browser, submitting the IdP's login form once with
   * `credentials`, until a page that is not a redirect. Returns every hop.
   */
  async walk(url: string, credentials?: { username: string; password: string }, maxHops = 15): Promise<Step[]> {
    const hops: Step[] = [];
    let next = url;
    let pending: VisitOptions = {};
    let submitted = false;
    for (let i = 0; i < maxHops; i += 1) {
      const step = await this.visit(next, pending);
      hops.push(step);
      pending = {};
      if (step.status >= 300 && step.status < 400 && step.location !== null) {
        next = step.location;
        continue;
      }
      if (credentials !== undefined && !submitted && isLoginForm(step.body)) {
        submitted = true;
        next = formAction(step.body, step.url);
        pending = { form: credentials };
        continue;
      }
      return hops;
    }
    throw new Error(`more than ${maxHops} hops: ${hops.map((h) => `${h.status} ${h.url}`).join(' -> ')}`);
  }

  #matching(target: URL): Cookie[] {
    const host = target.hostname;
    return this.#cookies.filter(
      (cookie) =>
        (cookie.domain === null ? cookie.host === host : host === cookie.domain || host.endsWith(`.${cookie.domain}`)) &&
        (target.pathname === cookie.path || target.pathname.startsWith(cookie.path.endsWith('/') ? cookie.path : `${cookie.path}/`)) &&
        (!cookie.secure || target.protocol === 'https:'),
    );
  }

  #store(target: URL, line: string): void {
    const [pair = '', ...parts] = line.split(';');
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const attributes = new Map<string, string>();
    for (const part of parts) {
      const at = part.indexOf('=');
      attributes.set((at === -1 ? part : part.slice(0, at)).trim().toLowerCase(), at === -1 ? '' : part.slice(at + 1).trim());
    }
    const rawDomain = attributes.get('domain');
    const domain = rawDomain === undefined || rawDomain === '' ? null : rawDomain.replace(/^\./, '').toLowerCase();
    const host = target.hostname;
    // RFC 6265 §5.3 step 6: a Domain the setting host is not within is ignored (the cookie is dropped).
    if (domain !== null && host !== domain && !host.endsWith(`.${domain}`)) return;
    const secure = attributes.has('secure');
    if (secure && target.protocol !== 'https:') return;
    const maxAge = attributes.get('max-age');
    const expires = attributes.get('expires');
    const expired = (maxAge !== undefined && Number(maxAge) <= 0) || (maxAge === undefined && expires !== undefined && Date.parse(expires) <= Date.now());
    const path = attributes.get('path') ?? '/';
    this.#cookies = this.#cookies.filter((c) => !(c.name === name && c.domain === domain && (domain !== null || c.host === host) && c.path === path));
    if (!expired && value !== '') {
      this.#cookies.push({ name, value, domain, host, path, secure });
    }
  }
}

export function isLoginForm(html: string): boolean {
  return /<form[^>]*method="post"/i.test(html) && html.includes('name="username"') && html.includes('name="password"');
}

export function formAction(html: string, base: string): string {
  const match = /<form[^>]*action="([^"]+)"/.exec(html);
  if (match?.[1] === undefined) throw new Error(`no form in page: ${html.slice(0, 300)}`);
  return new URL(match[1].replace(/&#38;/g, '&').replace(/&amp;/g, '&'), base).href;
}
