/**
 * Per-request state shared by the gateway's hooks: which application, the normalized path.
 * Set by the routing hook before anything else runs.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { normalizePath } from '../policy/index.js';
import type { PreparedApplication } from './application.js';
import { headerLines } from './header-lines.js';
import type { HostRouter } from './host-router.js';
import { parseAbsoluteTarget } from './request-target.js';
import type { Identity } from '../auth/index.js';
import type { OutcomeKind } from './outcome.js';
import type { AnyRequest } from './plugin-types.js';
import type { ErrorBody } from './pages.js';
import { sendError } from './render.js';

export interface RequestContext {
  readonly app: PreparedApplication;
  /**
   * The host the request was routed by: Fastify's `request.host` (Host, or X-Forwarded-Host
   * from a trusted proxy), read once; every later reader uses this one.
   */
  readonly host: string;
  /** The normalized path; the raw target is never used for decisions. */
  readonly path: string;
  /** The raw query string with its `?`, or ''. */
  readonly query: string;
  readonly wantsHtml: boolean;
  /**
   * The client addressed Portcullis as its HTTP proxy (absolute-form target). In the
   * Proxy-Authorization mode it is answered with 407 challenges, never a login redirect: the
   * client authenticates to its proxy, and a browser prompts for that only on a 407.
   */
  readonly viaProxy: boolean;
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
  /** While proxying: fired when the client leaves before its answer is complete (proxy-mode.ts). */
  clientLeft: { readonly aborted: boolean } | null;
  /** The client address, once asked for (see `clientIpOf`). */
  clientIp: string | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    portcullis: RequestContext | null;
  }
}

export type { AnyReply, AnyRequest } from './plugin-types.js';

const MAX_HOST_IN_MESSAGE = 100;
const PING_PATH = '/outpost.goauthentik.io/ping';
/** While a configuration source has delivered no application yet (authentik's API unreachable). */
const NOT_CONFIGURED_RETRY_SECONDS = 3;

function isPing(rawUrl: string): boolean {
  return rawUrl.startsWith(PING_PATH) && (rawUrl.length === PING_PATH.length || rawUrl[PING_PATH.length] === '?');
}

export function installRouting(app: FastifyInstance, router: Pick<HostRouter, 'resolve' | 'size' | 'atEndpoint'>): void {
  app.decorateRequest('portcullis', null);
  installContinue(app);
  // Callback-style hooks here and below: every request runs them, and an async hook costs a
  // promise and a microtask turn each time.
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    const wantsHtml = typeof request.headers.accept === 'string' && request.headers.accept.includes('text/html');
    const framing = framingProblem(request);
    if (framing !== null) {
      sendError(reply, wantsHtml, framing);
      return;
    }
    let rawUrl = request.raw.url ?? '/';
    if (isPing(rawUrl)) {
      // Container and Kubernetes probes reach the pod by address, with any Host and method.
      reply.code(204).header('cache-control', 'no-store').send();
      return;
    }
    let application: PreparedApplication | undefined;
    const viaProxy = rawUrl.charCodeAt(0) !== SLASH;
    if (viaProxy) {
      const absolute = applicationOfAbsoluteTarget(request, router, rawUrl);
      if (!absolute.ok) {
        sendError(reply, wantsHtml, absolute.error);
        return;
      }
      application = absolute.application;
      rawUrl = absolute.originForm;
    }
    // Read after an absolute-form target has made its authority the Host.
    const host = request.host;
    application ??= router.resolve(host);
    if (application === undefined && router.size === 0) {
      reply.header('retry-after', String(NOT_CONFIGURED_RETRY_SECONDS));
      sendError(reply, wantsHtml, { status: 503, error: 'not_configured', message: 'No application is configured yet.' });
      return;
    }
    if (application === undefined) {
      sendError(reply, false, {
        status: 400,
        error: 'unknown_host',
        message: `no application is configured for host ${JSON.stringify(host.slice(0, MAX_HOST_IN_MESSAGE))}`,
      });
      return;
    }
    const queryAt = rawUrl.indexOf('?');
    const rawPath = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
    const query = queryAt === -1 ? '' : rawUrl.slice(queryAt);
    const normalized = normalizePath(rawPath);
    if (!normalized.ok) {
      sendError(reply, wantsHtml, { status: 400, error: 'invalid_path', message: `The request path was refused: ${normalized.reason}.` });
      return;
    }
    request.portcullis = {
      app: application,
      host,
      path: normalized.path,
      query,
      wantsHtml,
      viaProxy,
      outcome: null,
      identity: null,
      stripAuthorization: false,
      setCookies: [],
      forwardedAt: null,
      clientLeft: null,
      clientIp: null,
    };
    done();
  });
}

const SLASH = 0x2f;

type AbsoluteRouting =
  | { readonly ok: true; readonly application: PreparedApplication; readonly originForm: string }
  | { readonly ok: false; readonly error: ErrorBody };

/**
 * An absolute-form target (a client using Portcullis as its HTTP proxy, the 407 mode's clients):
 * its authority must be an application's externalHost exactly, port included, and then wins over
 * Host (RFC 9112 §3.2.2). Any other authority is refused and never forwarded anywhere: Portcullis
 * is no open proxy. The request continues as the origin-form request its application would get.
 */
function applicationOfAbsoluteTarget(request: FastifyRequest, router: Pick<HostRouter, 'resolve' | 'atEndpoint'>, rawUrl: string): AbsoluteRouting {
  const parsed = parseAbsoluteTarget(rawUrl);
  if (!parsed.ok) {
    return { ok: false, error: { status: 400, error: 'invalid_target', message: `The request target was refused: ${parsed.reason}.` } };
  }
  const { target } = parsed;
  const application = router.atEndpoint(target.endpoint);
  if (application === undefined) {
    // A proxy client (Proxy-Authorization mode) is told plainly; others get the 400 of old.
    const proxyMode = router.resolve(request.host)?.config.headerAuth.header === 'proxy-authorization';
    const message = `Portcullis forwards only to its applications, and ${JSON.stringify(target.authority.slice(0, MAX_HOST_IN_MESSAGE))} is none of them.`;
    return { ok: false, error: { status: proxyMode ? 403 : 400, error: 'not_an_application', message } };
  }
  request.raw.url = target.originForm;
  // Everything after routing (redirect targets, X-Forwarded-Host, policies) reads Host: it must
  // be the authority the request was routed by, not whatever else the client wrote there.
  request.raw.headers.host = target.authority;
  return { ok: true, application, originForm: target.originForm };
}

/**
 * What Node's parser lets through but a proxy must still refuse, before the request is routed.
 * RFC 9112 §3.2: more than one Host line is a 400 (Node keeps the first; the routing, the
 * redirect targets and a lenient upstream could each pick another). RFC 9112 §6.3: a request
 * whose last transfer coding is not `chunked` (`xchunked`, `chunked, identity`), or that
 * applies it twice, has no length anyone can tell, a 400. RFC 9112 §6.1: other codings before the final `chunked`
 * (`gzip, chunked`) are a 501: Node removes only the chunked framing, so the upstream would
 * get still-coded bytes it would take for the body.
 */
function framingProblem(request: FastifyRequest): ErrorBody | null {
  const hosts = headerLines(request.raw, 'host');
  if (hosts !== undefined && hosts.length > 1) {
    return { status: 400, error: 'invalid_host', message: 'The request carried more than one Host header.' };
  }
  const coding = request.headers['transfer-encoding'];
  if (coding === undefined) {
    return null;
  }
  const codings = coding.toLowerCase().split(',').map((name) => name.trim());
  // `chunked` must come last, and only once (RFC 9112 §6.1).
  if (codings.indexOf('chunked') !== codings.length - 1) {
    return { status: 400, error: 'invalid_framing', message: 'The request body length cannot be determined: chunked must be the last transfer coding.' };
  }
  if (codings.length > 1) {
    return { status: 501, error: 'unsupported_transfer_coding', message: 'Only the chunked transfer coding is supported.' };
  }
  return null;
}

const CONTINUE = /(?:^|\W)100-continue(?:$|\W)/i;

/**
 * `Expect: 100-continue` (RFC 9110 §10.1.1). Left alone, Node answers `100 Continue` before any
 * hook runs, inviting the body of a request that is about to be refused. Here the request goes
 * to the hooks without it: a refusal is the final status alone (and Node then closes the
 * connection, since the body was never asked for), and `100 Continue` is sent only once every
 * `onRequest` hook has let the request through, just before its body is read.
 */
function installContinue(app: FastifyInstance): void {
  // Whatever else listens for checkContinue hands the request on itself; a second listener
  // would hand it on twice.
  if (app.server.listenerCount('checkContinue') === 0) {
    app.server.on('checkContinue', (request: IncomingMessage, response: ServerResponse) => {
      app.server.emit('request', request, response);
    });
  }
  app.addHook('preParsing', (request, reply, payload, done) => {
    // `_sent100`: Node's own record that 100 Continue already went out (by such another listener).
    const raw = reply.raw as ServerResponse & { _sent100?: boolean };
    const expect = request.headers.expect;
    // An upgrade's "response" writes straight to the socket (http-proxy's WebSocket path): left alone.
    const upgrade = (request.raw as IncomingMessage & { upgrade?: boolean }).upgrade === true;
    if (typeof expect === 'string' && CONTINUE.test(expect) && !upgrade && !raw.headersSent && raw._sent100 !== true) {
      raw.writeContinue();
    }
    done(null, payload);
  });
}

/**
 * The client address after `trustedProxies` handling, worked out once per request: Fastify's
 * `request.ip` parses X-Forwarded-For again on every read, and the facts, the forwarding
 * headers and the access log each need it.
 */
export function clientIpOf(request: AnyRequest): string {
  const context = request.portcullis;
  if (context === null) return request.ip;
  context.clientIp ??= request.ip;
  return context.clientIp;
}

/** The host the request was routed by (see `RequestContext.host`); Fastify's before routing. */
export function hostOf(request: AnyRequest): string {
  return request.portcullis?.host ?? request.host;
}

export function contextOf(request: AnyRequest): RequestContext {
  const context = request.portcullis;
  if (context === null) {
    // The routing hook runs first and answers every request it cannot route.
    throw new Error('request reached a handler without a routing context');
  }
  return context;
}
