/**
 * The one path Portcullis reasons about: skip rules and request policies match it, and the
 * upstream receives it. Normalizing once, before any decision, is what stops
 * `/public/../admin`, `/%61dmin` and `//admin` from meaning one thing to a skip rule and
 * another to the upstream.
 *
 * @see RFC 3986 §6.2.2 (case, percent-encoding and path-segment normalization)
 */

export type NormalizedPath =
  | { readonly ok: true; readonly path: string }
  | { readonly ok: false; readonly reason: string };

// Paths made only of these characters, with no `//` and no dot segment, are already normal:
// the common case costs one regex test.
const PLAIN_CHARACTERS = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/]*$/;
const PCHAR = /[A-Za-z0-9\-._~!$&'()*+,;=:@]/;
const UNRESERVED = /[A-Za-z0-9\-._~]/;
const HEX = '0123456789ABCDEF';

export function normalizePath(rawPath: string): NormalizedPath {
  if (rawPath.length === 0 || rawPath.charCodeAt(0) !== 0x2f) {
    return { ok: false, reason: 'the request target must be an absolute path' };
  }
  if (PLAIN_CHARACTERS.test(rawPath) && !rawPath.includes('//') && !hasDotSegment(rawPath)) {
    return { ok: true, path: rawPath };
  }
  const decoded = decodeUnreserved(rawPath);
  if (!decoded.ok) {
    return decoded;
  }
  return { ok: true, path: resolveSegments(decoded.path) };
}

function hasDotSegment(path: string): boolean {
  return path.includes('/./') || path.includes('/../') || path.endsWith('/.') || path.endsWith('/..');
}

/** Decodes `%XX` of unreserved characters, upper-cases the rest, encodes stray characters. */
function decodeUnreserved(path: string): NormalizedPath {
  let out = '';
  for (let i = 0; i < path.length; i++) {
    const ch = path[i] as string;
    if (ch === '%') {
      const byte = parseHexByte(path, i + 1);
      if (byte === null) {
        return { ok: false, reason: 'the path holds a malformed percent-encoding' };
      }
      // An encoded slash, backslash or NUL means different paths to different servers
      // (path-confusion and truncation attacks): refuse rather than guess.
      if (byte === 0x2f || byte === 0x5c || byte === 0x00) {
        return { ok: false, reason: 'the path holds an encoded slash, backslash or NUL' };
      }
      const decodedChar = String.fromCharCode(byte);
      out += UNRESERVED.test(decodedChar) ? decodedChar : `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
      i += 2;
    } else if (ch === '\\') {
      return { ok: false, reason: 'the path holds a backslash' };
    } else if (ch === '/' || PCHAR.test(ch)) {
      out += ch;
    } else if (ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f) {
      return { ok: false, reason: 'the path holds a control character' };
    } else {
      out += encodeURIComponent(ch);
    }
  }
  return { ok: true, path: out };
}

function parseHexByte(text: string, at: number): number | null {
  const pair = text.slice(at, at + 2);
  return /^[0-9A-Fa-f]{2}$/.test(pair) ? Number.parseInt(pair, 16) : null;
}

/** Merges duplicate slashes and resolves `.` and `..`; `..` never climbs above the root. */
function resolveSegments(path: string): string {
  const segments: string[] = [];
  const parts = path.split('/');
  let trailingSlash = false;
  for (let i = 1; i < parts.length; i++) {
    const segment = parts[i] as string;
    const last = i === parts.length - 1;
    if (segment === '' || segment === '.') {
      trailingSlash = last;
    } else if (segment === '..') {
      segments.pop();
      trailingSlash = last;
    } else {
      segments.push(segment);
      trailingSlash = false;
    }
  }
  if (segments.length === 0) {
    return '/';
  }
  return `/${segments.join('/')}${trailingSlash ? '/' : ''}`;
}
