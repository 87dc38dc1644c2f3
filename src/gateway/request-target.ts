/**
 * The absolute-form request target (RFC 9112 §3.2.2) that HTTP proxy clients send: `curl -x`,
 * Python `requests` with `proxies=`, git's `http.proxy`, browsers with a configured proxy. Its
 * authority names the host, winning over `Host`. Portcullis takes it only for its own
 * applications (it is no open forward proxy), and turns it into the origin-form target the rest
 * of the pipeline and the upstream see.
 */

export interface AbsoluteTarget {
  /** `host[:port]` as `new URL()` normalizes it (lower case, default port dropped). */
  readonly authority: string;
  /** `host:port` with the scheme's default port made explicit, for comparing with externalHost. */
  readonly endpoint: string;
  /** The path and query exactly as sent (`/` when the target had none). */
  readonly originForm: string;
}

export type ParsedTarget = { readonly ok: true; readonly target: AbsoluteTarget } | { readonly ok: false; readonly reason: string };

// scheme "://" authority [ path-abempty ] [ "?" query ], no fragment, nothing that is not visible ASCII.
const ABSOLUTE = /^(https?):\/\/([^/?#\\]*)([/?][\x21-\x7e]*)?$/i;

export function parseAbsoluteTarget(raw: string): ParsedTarget {
  const match = ABSOLUTE.exec(raw);
  if (match === null) {
    return { ok: false, reason: 'the request target must be an absolute path, or an absolute http(s) URL naming an application' };
  }
  const [, scheme = '', authority = '', rest = ''] = match;
  // `http://app@evil/` names evil to some parsers and app to others: refused, not interpreted.
  if (authority.includes('@')) return { ok: false, reason: 'the request target must not carry user info' };
  if (rest.includes('#')) return { ok: false, reason: 'the request target must not carry a fragment' };
  if (authority === '') return { ok: false, reason: 'the request target names no host' };
  let url: URL;
  try {
    url = new URL(`${scheme.toLowerCase()}://${authority}/`);
  } catch {
    return { ok: false, reason: 'the request target names no valid host' };
  }
  const originForm = rest === '' ? '/' : rest.startsWith('?') ? `/${rest}` : rest;
  return { ok: true, target: { authority: url.host, endpoint: endpointOf(url), originForm } };
}

/** `host:port` with the default port of the URL's scheme written out. */
export function endpointOf(url: URL): string {
  return `${url.hostname}:${url.port === '' ? (url.protocol === 'https:' ? '443' : '80') : url.port}`;
}
