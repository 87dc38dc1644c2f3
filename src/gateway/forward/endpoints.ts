/**
 * The shared builder of the forward-auth endpoints (`/outpost.goauthentik.io/auth/*`). A
 * flavour is an adapter of a few lines: where its proxy puts the original request, and what
 * the proxy can relay (`ForwardRendering`). Everything else is here, once: the original
 * request is checked against the application, decided by the same `decide()` as proxy mode,
 * and the outcome rendered by render.ts.
 */

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { normalizePath } from '../../policy/index.js';
import type { PreparedApplication } from '../application.js';
import { contextOf, type RequestContext } from '../context.js';
import { decide } from '../decide.js';
import type { OriginalRequest, Parsed } from './original.js';
import { renderForward, renderForwardFailure, safeStatus, type ForwardRendering } from './render.js';
import { peerTrust, type PeerTrust } from './trust.js';
import { finishLoginWith, signatureOf, signOut } from '../login/index.js';
import type { Outcome } from '../outcome.js';
import { forwardFactsFromRequest } from '../request-facts.js';
import type { TrustFunction } from '../trust.js';

export interface ForwardFlavour {
  readonly name: string;
  /** Routes under the reserved prefix, e.g. `/outpost.goauthentik.io/auth/nginx`. */
  readonly paths: readonly string[];
  /**
   * The original request, from what this proxy sends. `peerTrusted` says whether the peer is
   * one of `trustedProxies`; forwarded headers from anyone else must not be believed.
   */
  original(request: FastifyRequest, peerTrusted: boolean): Parsed<OriginalRequest>;
  readonly rendering: ForwardRendering;
}

const OUTPOST = '/outpost.goauthentik.io/';

/**
 * The reserved endpoints a proxy sends to Portcullis unauthenticated; asked about them, the
 * answer is an anonymous allow. Only these exact spellings: `/outpost.goauthentik.io/../admin`
 * or `/outpost.goauthentik.io/%73tart` are decided like any other path, after normalization,
 * or a prefix test would wave them through to the upstream.
 */
const UNAUTHENTICATED_ENDPOINTS: ReadonlySet<string> = new Set(['start', 'callback', 'sign_out', 'ping', 'backchannel_logout'].map((name) => `${OUTPOST}${name}`));

const ANONYMOUS: Outcome = Object.freeze({ kind: 'allow', identity: null, setCookies: Object.freeze([]) });

export interface ForwardEndpointOptions {
  readonly flavours: readonly ForwardFlavour[];
  /** The gateway's compiled `trustedProxies`. */
  readonly trust: TrustFunction;
}

/**
 * Registers every flavour's routes, for every method (Envoy asks with the original method).
 * The decision runs in the route's `onRequest` hook, before Fastify reads or parses a body:
 * a forward-auth request's body (Envoy `with_request_body`, Traefik `forwardBody`) is never
 * Portcullis's to interpret. The `onSend` hook keeps the status within what the flavour's
 * proxy handles safely, whichever hook answered.
 */
export async function forwardAuthEndpoints(scope: FastifyInstance, options: ForwardEndpointOptions): Promise<void> {
  const trusted = peerTrust(options.trust);
  for (const flavour of options.flavours) {
    const onRequest = forwardAuthHook(flavour, trusted);
    // Callback style: an async hook costs every decision a promise and a microtask turn.
    const onSend = (_request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error: null, payload: unknown) => void): void => {
      reply.code(safeStatus(reply.statusCode, flavour.rendering));
      done(null, payload);
    };
    for (const url of flavour.paths) {
      scope.all(url, { onRequest, onSend }, answeredInHook);
    }
  }
}

function forwardAuthHook(flavour: ForwardFlavour, trusted: PeerTrust) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const context = contextOf(request);
    const original = flavour.original(request, trusted(request));
    const onApplication = original.ok && hostOnApplication(context.app, original.value.host);
    const signature = onApplication ? signatureOf(original.value.query) : null;
    if (signature !== null && context.app.config.mode !== 'proxy') {
      // authentik's signatures answer for the original request: the callback sets the session
      // cookie and redirects, instead of the proxy forwarding it to the application.
      const params = new URLSearchParams(original.ok ? original.value.query : '');
      return signature === 'callback' ? finishLoginWith(request, reply, params) : signOut(request, reply);
    }
    let outcome: Outcome;
    try {
      outcome = await decideForward(request, context.app, original, onApplication);
    } catch (error) {
      request.log.error({ err: error, flavour: flavour.name }, 'forward-auth decision failed');
      context.outcome = 'reject';
      return renderForwardFailure(reply, flavour.rendering, context.wantsHtml);
    }
    record(context, outcome);
    return renderForward(reply, context.app, outcome, flavour.rendering, context.wantsHtml);
  };
}

async function answeredInHook(): Promise<never> {
  throw new Error('forward-auth requests are answered in their onRequest hook');
}

/**
 * The pipeline for one forward-auth request; pure apart from `decide`'s I/O. `onApplication`:
 * the original host belongs to the application (`hostOnApplication`, already asked).
 */
async function decideForward(request: FastifyRequest, app: PreparedApplication, original: Parsed<OriginalRequest>, onApplication: boolean): Promise<Outcome> {
  if (app.config.mode === 'proxy') {
    return reject(404, 'not_forward_auth', `The application ${JSON.stringify(app.name)} is in proxy mode; forward-auth endpoints answer only for forward_single and forward_domain applications.`);
  }
  if (!original.ok) {
    return reject(400, 'bad_forwarded_request', `The proxy's description of the original request was refused: ${original.problem}.`);
  }
  const { method, host, rawPath, query } = original.value;
  if (!onApplication) {
    return reject(400, 'host_mismatch', `The original host ${JSON.stringify(host)} does not belong to the application ${JSON.stringify(app.name)}.`);
  }
  if (UNAUTHENTICATED_ENDPOINTS.has(rawPath)) {
    return ANONYMOUS;
  }
  const normalized = normalizePath(rawPath);
  if (!normalized.ok) {
    return reject(400, 'invalid_path', `The original request path was refused: ${normalized.reason}.`);
  }
  const path = normalized.path;
  const outcome = await decide(app, forwardFactsFromRequest(request, app, { method, host, path, query }));
  // decide() returns to externalHost; in forward_domain the original host may be any host
  // under the cookie domain, and the browser must come back to that one.
  return outcome.kind === 'login' ? { kind: 'login', location: loginLocation(app, host, `${path}${query}`) } : outcome;
}

interface HostScope {
  /** externalHost's host name. */
  readonly hostname: string;
  /** externalHost's scheme, `http:` or `https:`. */
  readonly protocol: string;
  /** forward_domain: the bare cookie domain, else null. */
  readonly domain: string | null;
}

// Computed once per application, on its first forward-auth request.
const scopes = new WeakMap<PreparedApplication, HostScope>();

function hostScope(app: PreparedApplication): HostScope {
  let scope = scopes.get(app);
  if (scope === undefined) {
    const { hostname, protocol } = new URL(app.origin);
    const { mode, cookieDomain } = app.config;
    scope = { hostname, protocol, domain: mode === 'forward_domain' && cookieDomain !== '' ? cookieDomain.replace(/^\./, '').toLowerCase() : null };
    scopes.set(app, scope);
  }
  return scope;
}

/**
 * forward_single: the externalHost's host name (any port: the proxy may listen on another).
 * forward_domain: also every host under cookieDomain, at a dot boundary.
 */
function hostOnApplication(app: PreparedApplication, host: string): boolean {
  const { hostname, domain } = hostScope(app);
  const asked = hostnameOf(host);
  return asked === hostname || (domain !== null && (asked === domain || asked.endsWith(`.${domain}`)));
}

/**
 * `/start` on externalHost (where the callback is registered), returning to the original
 * host with externalHost's scheme: start's own redirect check refuses a scheme downgrade.
 */
function loginLocation(app: PreparedApplication, host: string, pathAndQuery: string): string {
  const origin = app.config.mode === 'forward_domain' ? `${hostScope(app).protocol}//${host}` : app.origin;
  return `${app.origin}${app.startPath}?rd=${encodeURIComponent(`${origin}${pathAndQuery}`)}`;
}

function hostnameOf(host: string): string {
  if (host.startsWith('[')) {
    return host.slice(0, host.indexOf(']') + 1);
  }
  const colon = host.lastIndexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

function reject(status: 400 | 404, error: string, message: string): Outcome {
  return { kind: 'reject', status, error, message };
}

function record(context: RequestContext, outcome: Outcome): void {
  context.outcome = outcome.kind;
  if (outcome.kind === 'allow') {
    context.identity = outcome.identity;
  }
}
