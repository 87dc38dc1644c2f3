/**
 * Cookie headers, as much of RFC 6265 as a proxy's own session cookie needs: building
 * `Set-Cookie`, finding one cookie in a `Cookie` header, and removing it before the request
 * goes upstream (the upstream must never see Portcullis's cookie).
 * @see RFC 6265 §4.1 (Set-Cookie), §4.2 (Cookie), §5.4 (how browsers build the Cookie header)
 */

/** RFC 6265 §4.1.1 cookie-name = token (RFC 9110 §5.6.2 tchar). */
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** RFC 6265 §4.1.1 cookie-octet: visible ASCII except DQUOTE, comma, semicolon and backslash. */
const COOKIE_VALUE = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/;
const DOMAIN = /^\.?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*$/;
const OWS = /^[ \t]+|[ \t]+$/g;

export interface CookieOptions {
  /** Add `Secure`: the application's externalHost is https. */
  readonly secure: boolean;
  /** `Domain` attribute; forward_domain mode only. Omitted means host-only. */
  readonly domain?: string;
  readonly maxAgeSeconds: number;
}

export function isValidCookieName(name: string): boolean {
  return COOKIE_NAME.test(name);
}

/**
 * A `Set-Cookie` value with Portcullis's fixed flags: `Path=/`, `HttpOnly` (no script access),
 * `SameSite=Lax` (no cross-site subrequests carry it, top-level navigation after login still does).
 */
export function serializeCookie(name: string, value: string, options: CookieOptions): string {
  assertName(name);
  if (!COOKIE_VALUE.test(value)) throw new TypeError('cookie value has characters outside RFC 6265 cookie-octet');
  if (!Number.isSafeInteger(options.maxAgeSeconds) || options.maxAgeSeconds < 0) throw new RangeError('maxAgeSeconds must be a non-negative integer');
  return `${name}=${value}; Path=/; Max-Age=${options.maxAgeSeconds}${attributes(options)}`;
}

/** A `Set-Cookie` value that makes the browser drop the cookie (sign-out); same scope as when set. */
export function serializeExpiredCookie(name: string, options: Omit<CookieOptions, 'maxAgeSeconds'>): string {
  assertName(name);
  return `${name}=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT${attributes(options)}`;
}

/**
 * The value of cookie `name` in a `Cookie` header, or undefined when absent.
 *
 * A name that appears twice is treated as absent. Two cookies of one name come from different
 * scopes: a sibling subdomain, or a plain-http page of the same host, can plant `name` for a
 * parent domain or a longer path ("cookie tossing"), and the header does not say which one is
 * ours; browsers order them by path length and age, which the attacker controls. Picking either
 * would let a planted cookie choose the session (fixation) or shadow the real one. Absent sends
 * the browser through login instead.
 */
export function readCookie(cookieHeader: string | undefined, name: string): string | undefined {
  assertName(name);
  if (cookieHeader === undefined) return undefined;
  // A scan by index rather than split and trim: every request with a session reads its cookie,
  // and only the value found is sliced out.
  let found: string | undefined;
  for (let start = 0; start <= cookieHeader.length; ) {
    const semicolon = cookieHeader.indexOf(';', start);
    const end = semicolon === -1 ? cookieHeader.length : semicolon;
    const eq = cookieHeader.indexOf('=', start);
    if (eq !== -1 && eq < end) {
      const nameStart = skipOwsForward(cookieHeader, start, eq);
      if (skipOwsBackward(cookieHeader, nameStart, eq) - nameStart === name.length && cookieHeader.startsWith(name, nameStart)) {
        if (found !== undefined) return undefined;
        const valueStart = skipOwsForward(cookieHeader, eq + 1, end);
        found = cookieHeader.slice(valueStart, skipOwsBackward(cookieHeader, valueStart, end));
      }
    }
    start = end + 1;
  }
  return found;
}

/** The first index in [from, to) that is not SP or HTAB, or `to`. */
function skipOwsForward(text: string, from: number, to: number): number {
  let i = from;
  while (i < to && (text.charCodeAt(i) === 0x20 || text.charCodeAt(i) === 0x09)) i += 1;
  return i;
}

/** The end of [from, to) once trailing SP and HTAB are left out. */
function skipOwsBackward(text: string, from: number, to: number): number {
  let i = to;
  while (i > from && (text.charCodeAt(i - 1) === 0x20 || text.charCodeAt(i - 1) === 0x09)) i -= 1;
  return i;
}

/**
 * The `Cookie` header without any cookie called `name`; every other pair keeps its exact bytes.
 * Returns '' when nothing is left: the caller then drops the header.
 */
export function removeCookie(cookieHeader: string, name: string): string {
  assertName(name);
  const pairs = cookieHeader.split(';');
  const kept = pairs.filter((pair) => {
    const eq = pair.indexOf('=');
    return eq === -1 || pair.slice(0, eq).replace(OWS, '') !== name;
  });
  if (kept.length === pairs.length) return cookieHeader;
  return kept.join(';').replace(/^[ \t]+/, '');
}

function attributes(options: Omit<CookieOptions, 'maxAgeSeconds'>): string {
  let text = '';
  if (options.domain !== undefined && options.domain !== '') {
    if (!DOMAIN.test(options.domain)) throw new TypeError('cookie domain is not a host name');
    text += `; Domain=${options.domain}`;
  }
  text += '; HttpOnly';
  if (options.secure) text += '; Secure';
  return `${text}; SameSite=Lax`;
}

function assertName(name: string): void {
  if (!COOKIE_NAME.test(name)) throw new TypeError('cookie name is not an RFC 6265 token');
}
