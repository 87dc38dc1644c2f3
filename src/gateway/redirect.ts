/**
 * Where a browser may be sent after login (`rd`). Only targets on the application itself
 * are accepted: the same origin as externalHost, or (forward_domain) a host under
 * cookieDomain at a dot boundary. Anything else falls back to the application root.
 *
 * The classic open-redirect bypasses are refused before parsing: browsers drop tabs and
 * newlines inside URLs and read `\` as `/`, so `/\evil.com`, `/<TAB>/evil.com` and
 * `//evil.com` would all leave the site. Parsing then uses the WHATWG URL parser (what
 * browsers use), and the decision is made on the parsed origin, never on string prefixes.
 */

import type { ApplicationConfig } from '../config/index.js';

export interface RedirectScope {
  readonly origin: string;
  /** forward_domain: the bare cookie domain (`example.com`), else null. */
  readonly domain: string | null;
}

export function redirectScopeOf(app: ApplicationConfig): RedirectScope {
  const domain = app.mode === 'forward_domain' && app.cookieDomain !== '' ? app.cookieDomain.replace(/^\./, '').toLowerCase() : null;
  return { origin: new URL(app.externalHost).origin, domain };
}

const MAX_REDIRECT_LENGTH = 4096;

/** The absolute URL to send the browser to: `rd` when it stays on the application, else its root. */
export function validateRedirect(rd: string | undefined | null, scope: RedirectScope): string {
  const root = `${scope.origin}/`;
  if (rd === undefined || rd === null || rd === '' || rd.length > MAX_REDIRECT_LENGTH) {
    return root;
  }
  // Control characters (incl. TAB/CR/LF, which browsers silently remove), backslashes (read
  // as slashes) and spaces have no business in a redirect target.
  if (/[\x00-\x20\x7f\\]/.test(rd)) {
    return root;
  }
  let target: URL;
  try {
    target = rd.startsWith('/') ? relativeTarget(rd, scope.origin) : new URL(rd);
  } catch {
    return root;
  }
  if (target.username !== '' || target.password !== '') {
    return root;
  }
  return allowed(target, scope) ? target.href : root;
}

function relativeTarget(rd: string, origin: string): URL {
  // `//host` is scheme-relative: another site.
  if (rd.startsWith('//')) {
    throw new Error('scheme-relative');
  }
  return new URL(rd, origin);
}

function allowed(target: URL, scope: RedirectScope): boolean {
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    return false;
  }
  if (target.origin === scope.origin) {
    return true;
  }
  if (scope.domain === null) {
    return false;
  }
  // forward_domain: any host under the cookie domain, with the application's scheme (never
  // downgrading https to http).
  const host = target.hostname.toLowerCase();
  const sameScheme = target.protocol === new URL(scope.origin).protocol;
  return sameScheme && (host === scope.domain || host.endsWith(`.${scope.domain}`));
}
