/**
 * Per-request state shared by the gateway's hooks: which application, the normalized path.
 * Set by the routing hook before anything else runs.
 */

import type { FastifyInstance, FastifyReply, FastifyRequest, RawServerBase, RequestGenericInterface, RouteGenericInterface } from 'fastify';
import { normalizePath } from '../policy/index.js';
import type { PreparedApplication } from './application.js';
import type { HostRouter } from './host-router.js';
import type { Identity } from '../auth/index.js';
import type { OutcomeKind } from './outcome.js';
import { sendError } from './render.js';

export interface RequestContext {
  readonly app: PreparedApplication;
  /** The normalized path; the raw target is never used for decisions. */
  readonly path: string;
  /** The raw query string with its `?`, or ''. */
  readonly query: string;
  readonly wantsHtml: boolean;
  /** What the pipeline decided, for the access log and metrics. */
  outcome: OutcomeKind | 'reserved' | 'upstream_error' | null;
  /** Who the request was allowed as (null until allowed, and on skip paths). */
  identity: Identity | null;
  /** Remove the client's Authorization before forwarding (consumed, or owned by `intercept`). */
  stripAuthorization: boolean;
  /** Set-Cookie values Portcullis adds to the response (a session after header auth). */
  setCookies: readonly string[];
  /** performance.now() when the request was handed to the upstream. */
  forwardedAt: number | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    portcullis: RequestContext | null;
  }
}

/** Request and reply types as plugins (http-proxy, reply-from) hand them over. */
export type AnyRequest = FastifyRequest<RequestGenericInterface, RawServerBase>;
export type AnyReply = FastifyReply<RouteGenericInterface, RawServerBase>;

const MAX_HOST_IN_MESSAGE = 100;

export function installRouting(app: FastifyInstance, router: HostRouter): void {
  app.decorateRequest('portcullis', null);
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const wantsHtml = typeof request.headers.accept === 'string' && request.headers.accept.includes('text/html');
    const application = router.resolve(request.host);
    if (application === undefined) {
      const host = request.host.slice(0, MAX_HOST_IN_MESSAGE);
      return sendError(reply, false, {
        status: 400,
        error: 'unknown_host',
        message: `no application is configured for host ${JSON.stringify(host)}`,
      });
    }
    const rawUrl = request.raw.url ?? '/';
    const queryAt = rawUrl.indexOf('?');
    const rawPath = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
    const query = queryAt === -1 ? '' : rawUrl.slice(queryAt);
    const normalized = normalizePath(rawPath);
    if (!normalized.ok) {
      return sendError(reply, wantsHtml, { status: 400, error: 'invalid_path', message: `The request path was refused: ${normalized.reason}.` });
    }
    request.portcullis = {
      app: application,
      path: normalized.path,
      query,
      wantsHtml,
      outcome: null,
      identity: null,
      stripAuthorization: false,
      setCookies: [],
      forwardedAt: null,
    };
  });
}

export function contextOf(request: AnyRequest): RequestContext {
  const context = request.portcullis;
  if (context === null) {
    // The routing hook runs first and answers every request it cannot route.
    throw new Error('request reached a handler without a routing context');
  }
  return context;
}
