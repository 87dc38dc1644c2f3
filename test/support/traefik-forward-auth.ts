/**
 * Traefik's `forwardAuth` middleware, reproduced for tests (Traefik is not packaged in
 * Debian). The auth request and the handling of its answer follow
 * traefik/traefik pkg/middlewares/auth/forward.go (v3): `ServeHTTP` and `writeHeader`.
 *
 * - The auth request is a GET to `address` (so `Host` is the address's host) carrying every
 *   client header except the hop-by-hop ones (Connection, Keep-Alive, Proxy-Authenticate,
 *   Proxy-Authorization, Te, Trailer, Transfer-Encoding, Upgrade), plus `X-Forwarded-For`
 *   (the client address), `X-Forwarded-Method`, `X-Forwarded-Proto`, `X-Forwarded-Host` and
 *   `X-Forwarded-Uri` (`req.URL.RequestURI()`); with `trustForwardHeader: false` these are
 *   computed from the request, never taken from the client.
 * - A non-2xx answer goes to the client with its headers (hop-by-hop removed) and body.
 * - On a 2xx, each `authResponseHeaders` name is deleted from the request and set from the
 *   answer when present there; `Set-Cookie` of the answer whose name is listed in
 *   `addAuthCookiesToResponse` is added to the application's response.
 */

import { request } from 'undici';

export interface ForwardAuthConfig {
  readonly address: string;
  readonly trustForwardHeader: boolean;
  readonly authResponseHeaders: readonly string[];
  readonly addAuthCookiesToResponse: readonly string[];
}

/** The `forwardAuth` middleware named `name` from a parsed Traefik dynamic configuration. */
export function forwardAuthConfig(dynamic: unknown, name: string): ForwardAuthConfig {
  const middleware = (dynamic as { http?: { middlewares?: Record<string, { forwardAuth?: Partial<ForwardAuthConfig> }> } }).http?.middlewares?.[name]?.forwardAuth;
  if (middleware?.address === undefined) {
    throw new Error(`no forwardAuth middleware named ${name}`);
  }
  return {
    address: middleware.address,
    trustForwardHeader: middleware.trustForwardHeader ?? false,
    authResponseHeaders: middleware.authResponseHeaders ?? [],
    addAuthCookiesToResponse: middleware.addAuthCookiesToResponse ?? [],
  };
}

export interface ClientRequest {
  readonly method: string;
  /** The Host the client sent. */
  readonly host: string;
  /** Path and query as the client sent them. */
  readonly requestUri: string;
  /** The client's headers, names in lower case. */
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  readonly remoteAddress: string;
}

export type TraefikResult =
  /** Traefik answers the client with the auth response. */
  | { readonly kind: 'respond'; readonly status: number; readonly headers: Record<string, string | string[]>; readonly body: string }
  /** Traefik forwards the request to the application with these headers and adds these cookies to its response. */
  | { readonly kind: 'forward'; readonly upstreamHeaders: Record<string, string | readonly string[]>; readonly responseCookies: readonly string[] };

const HOP_HEADERS = ['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade'];

/** The headers of Traefik's auth request for `client` (writeHeader). */
export function authRequestHeaders(config: ForwardAuthConfig, client: ClientRequest): Record<string, string | readonly string[]> {
  const headers: Record<string, string | readonly string[]> = {};
  for (const [name, value] of Object.entries(client.headers)) {
    if (!HOP_HEADERS.includes(name) && name !== 'host') headers[name] = value;
  }
  const fromClient = (name: string): string | undefined => {
    const value = client.headers[name];
    return config.trustForwardHeader && value !== undefined ? String(value) : undefined;
  };
  const prior = fromClient('x-forwarded-for');
  headers['x-forwarded-for'] = prior === undefined ? client.remoteAddress : `${prior}, ${client.remoteAddress}`;
  headers['x-forwarded-method'] = fromClient('x-forwarded-method') ?? client.method;
  headers['x-forwarded-proto'] = fromClient('x-forwarded-proto') ?? 'http';
  headers['x-forwarded-host'] = fromClient('x-forwarded-host') ?? client.host;
  headers['x-forwarded-uri'] = fromClient('x-forwarded-uri') ?? client.requestUri;
  return headers;
}

/** Runs the middleware against the gateway: the auth request, then what Traefik does with the answer. */
export async function traefikForwardAuth(config: ForwardAuthConfig, client: ClientRequest): Promise<TraefikResult> {
  const answer = await request(config.address, { method: 'GET', headers: authRequestHeaders(config, client) as Record<string, string | string[]> });
  const body = await answer.body.text();
  const responseHeaders = answer.headers as Record<string, string | string[]>;
  if (answer.statusCode < 200 || answer.statusCode >= 300) {
    const headers = { ...responseHeaders };
    for (const name of HOP_HEADERS) delete headers[name];
    return { kind: 'respond', status: answer.statusCode, headers, body };
  }
  const upstreamHeaders: Record<string, string | readonly string[]> = { ...client.headers };
  for (const name of config.authResponseHeaders) {
    const key = name.toLowerCase();
    delete upstreamHeaders[key];
    const value = responseHeaders[key];
    if (value !== undefined) upstreamHeaders[key] = value;
  }
  const setCookies = responseHeaders['set-cookie'];
  const cookies = setCookies === undefined ? [] : Array.isArray(setCookies) ? setCookies : [setCookies];
  const responseCookies = cookies.filter((line) => config.addAuthCookiesToResponse.includes(line.slice(0, line.indexOf('=')).trim()));
  return { kind: 'forward', upstreamHeaders, responseCookies };
}
