/**
 * The neutral view of a request that decisions are made from. Built from Fastify's request
 * by `factsFromRequest`; `decide` never sees Fastify.
 */

import type { FastifyRequest } from 'fastify';
import type { CredentialFacts } from '../auth/index.js';
import type { PreparedApplication } from './application.js';
import { clientIpOf, hostOf } from './context.js';
import { headerLines } from './header-lines.js';

export interface RequestFacts extends CredentialFacts {
  readonly method: string;
  /** The normalized path (what skip rules match and the upstream receives). */
  readonly path: string;
  /** The raw query string including its `?`, or ''. */
  readonly query: string;
  /** The client asked for HTML (a browser navigation). */
  readonly wantsHtml: boolean;
  /** The client opted out of login redirects (`X-Authentik-No-Redirect`). */
  readonly noRedirect: boolean;
  /** The host the client asked for (Host, or X-Forwarded-Host from a trusted proxy). */
  readonly host: string;
  /** The client address after `trustedProxies` handling. */
  readonly clientIp: string;
}

const NO_REDIRECT = 'x-authentik-no-redirect';

export function factsFromRequest(
  request: FastifyRequest,
  app: PreparedApplication,
  path: string,
  query: string,
  viaProxy = false,
): RequestFacts {
  const facts = factsOf(request, app, { method: request.method, host: hostOf(request), path, query });
  // A client using Portcullis as its proxy authenticates to it by a 407, never a login page.
  return viaProxy && app.config.headerAuth.header === 'proxy-authorization' && !facts.noRedirect ? { ...facts, noRedirect: true } : facts;
}

/** The request a forward-auth proxy asks about, as its flavour read it. */
export interface ForwardedRequest {
  /** The original method (the auth request itself is often a GET). */
  readonly method: string;
  /** The host the client addressed, `host[:port]`. */
  readonly host: string;
  /** The original path, normalized. */
  readonly path: string;
  /** The original query with its `?`, or ''. */
  readonly query: string;
}

/**
 * Facts for a forward-auth request: method, path and query are the original request's; the
 * credentials, cookies and `Accept` are the auth request's own headers, which every proxy
 * copies from the original request.
 */
export function forwardFactsFromRequest(request: FastifyRequest, app: PreparedApplication, original: ForwardedRequest): RequestFacts {
  return factsOf(request, app, original);
}

function factsOf(request: FastifyRequest, app: PreparedApplication, { method, host, path, query }: ForwardedRequest): RequestFacts {
  const headers = request.headers;
  const accept = headers.accept;
  // Every line: Node's `headers` silently keeps only the first Authorization, which would let
  // a second, unchecked line through to a lenient upstream.
  const credential = headers[app.config.headerAuth.header] === undefined ? undefined : headerLines(request.raw, app.config.headerAuth.header);
  return {
    method,
    path,
    query,
    wantsHtml: typeof accept === 'string' && accept.includes('text/html'),
    noRedirect: headers[NO_REDIRECT] !== undefined || queryHasParameter(query, NO_REDIRECT),
    host: host.toLowerCase(),
    clientIp: clientIpOf(request),
    // Two credential header lines are ambiguous; authenticators treat the joined value as malformed.
    credentialHeader: credential === undefined ? undefined : credential.join(', '),
    cookieHeader: headers.cookie,
  };
}

function queryHasParameter(query: string, name: string): boolean {
  if (query === '' || !query.toLowerCase().includes(name)) {
    return false;
  }
  for (const key of new URLSearchParams(query).keys()) {
    if (key.toLowerCase() === name) {
      return true;
    }
  }
  return false;
}
