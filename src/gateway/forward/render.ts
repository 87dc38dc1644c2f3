/**
 * The one place where outcomes become HTTP for the forward-auth flavours. A flavour does not
 * render anything itself: it names, as data, what its proxy can relay (`ForwardRendering`),
 * and this file applies that to the outcome.
 *
 * What the proxies can relay is the whole difference between the flavours:
 * - nginx `auth_request` acts on 2xx, 401 and 403 only; any other status becomes a 500 for
 *   the client, and only the first `WWW-Authenticate` line of a 401 is passed on (nginx
 *   before 1.23). So nginx gets 401 or 403 for everything that is not an allow.
 * - Envoy `ext_authz` treats every 5xx as a failure of the authorization service, which
 *   `failure_mode_allow: true` turns into an ALLOW. So Envoy never gets a 5xx.
 * - Traefik `forwardAuth` and Caddy `forward_auth` hand any non-2xx answer to the client as it
 *   is, so they get the same statuses as proxy mode.
 *
 * Too many failed logins is a 429 with `Retry-After` wherever the proxy relays it (Envoy treats
 * a 4xx as a denial and passes it on). nginx gets it the way it gets an outage: a 401 with
 * `Retry-After`, the plain challenges, no login URL and a `too_many_requests` body; the nginx
 * snippet turns any 401 with `Retry-After` into a 503 with it.
 */

import { extraHeaderEntries, IDENTITY_HEADER_NAMES, identityHeaderEntries, upstreamBasicAuthorization } from '../../upstream/index.js';
import type { Identity } from '../../auth/index.js';
import type { PreparedApplication } from '../application.js';
import type { AnyReply } from '../context.js';
import type { Outcome } from '../outcome.js';
import { renderOutcome, sendError, THROTTLED_MESSAGE, type RenderedOutcome } from '../render.js';

export interface ForwardRendering {
  /**
   * `redirect`: a browser is sent to the login with a 302. `unauthorized`: the proxy can only
   * deny, so the answer is a 401 and the login URL travels in `X-Portcullis-Login` for the
   * proxy's sign-in handler (nginx `error_page 401`).
   */
  readonly login: 'redirect' | 'unauthorized';
  /**
   * How an IdP or session-store outage is answered: `service-unavailable` is proxy mode's 503;
   * `unauthorized` is a 401 with `Retry-After`, the plain challenges (never
   * `error="invalid_token"`) and a `service_unavailable` body, for proxies that cannot relay a
   * 503 safely. It is never presented as refused credentials.
   */
  readonly outage: 'service-unavailable' | 'unauthorized';
  /** Every non-allow answer is a 401 or a 403 (nginx). */
  readonly onlyUnauthorizedOrForbidden: boolean;
  /** All challenges in one field line (RFC 9110 §11.6.1 allows a list) for proxies that relay only the first line. */
  readonly joinChallenges: boolean;
  /** An unexpected error is a 403 rather than a 500, for proxies that could let a 5xx through. */
  readonly failClosed: boolean;
  /** Name the credential header Portcullis consumed in `x-envoy-auth-headers-to-remove`. */
  readonly removeConsumedCredential: boolean;
}

/** The header a proxy's sign-in handler reads the login URL from when it got a 401. */
export const LOGIN_HEADER = 'x-portcullis-login';
/** Envoy removes the request headers listed here after an allow (ext_authz HTTP service). */
export const ENVOY_HEADERS_TO_REMOVE = 'x-envoy-auth-headers-to-remove';

export function renderForward(reply: AnyReply, app: PreparedApplication, outcome: Outcome, rendering: ForwardRendering, wantsHtml: boolean): AnyReply {
  reply.header('cache-control', 'no-store');
  switch (outcome.kind) {
    case 'allow':
      return renderAllow(reply, app, outcome.identity, outcome.setCookies, rendering);
    case 'login':
      if (rendering.login === 'unauthorized') {
        reply.header(LOGIN_HEADER, outcome.location);
        return sendError(reply, wantsHtml, { status: 401, error: 'unauthorized', message: 'Authentication is required.' });
      }
      return renderOutcome(reply, outcome, wantsHtml);
    case 'challenge': {
      const status = rendering.onlyUnauthorizedOrForbidden ? 401 : outcome.status;
      return renderOutcome(reply, { ...outcome, status, challenges: challengeLines(outcome.challenges, rendering) }, wantsHtml);
    }
    case 'deny':
      return renderOutcome(reply, { ...outcome, challenges: challengeLines(outcome.challenges, rendering) }, wantsHtml);
    case 'unavailable':
      return rendering.outage === 'unauthorized' ? renderOutageAsUnauthorized(reply, app, outcome, rendering, wantsHtml) : renderOutcome(reply, outcome, wantsHtml);
    case 'throttled':
      if (rendering.onlyUnauthorizedOrForbidden) {
        return renderRetryLater(reply, app, outcome.retryAfterSeconds, rendering, wantsHtml, { error: 'too_many_requests', message: THROTTLED_MESSAGE });
      }
      return renderOutcome(reply, outcome, wantsHtml);
    case 'reject':
      if (rendering.onlyUnauthorizedOrForbidden) {
        return sendError(reply, wantsHtml, { status: 403, error: outcome.error, message: outcome.message });
      }
      return renderOutcome(reply, outcome, wantsHtml);
  }
}

/**
 * The last word on the status a proxy sees, whoever answered: the routing hook (an unknown
 * host is a 400), Fastify's error handler (500) or this file. nginx gets 2xx, 401 or 403 and
 * nothing else; a fail-closed proxy (Envoy) never gets a 5xx. Anything else becomes a 403.
 */
export function safeStatus(status: number, rendering: ForwardRendering): number {
  if (rendering.onlyUnauthorizedOrForbidden && !(status >= 200 && status < 300) && status !== 401 && status !== 403) {
    return 403;
  }
  if (rendering.failClosed && status >= 500) {
    return 403;
  }
  return status;
}

/** An exception while deciding: a 500, or a 403 where a 5xx could be taken for "let it through". */
export function renderForwardFailure(reply: AnyReply, rendering: ForwardRendering, wantsHtml: boolean): AnyReply {
  reply.header('cache-control', 'no-store');
  const status = safeStatus(500, rendering);
  return sendError(reply, wantsHtml, { status, error: 'internal_error', message: 'Something went wrong on our side.' });
}

function renderAllow(
  reply: AnyReply,
  app: PreparedApplication,
  identity: Identity | null,
  setCookies: readonly string[],
  rendering: ForwardRendering,
): AnyReply {
  const headers = allowHeaders(app, identity);
  reply.code(200).headers(headers);
  if (setCookies.length > 0) {
    reply.header('set-cookie', [...setCookies]);
  }
  const { headerAuth } = app.config;
  // Proxy mode's rule for stripping the credential: Portcullis owns it when intercepting, or
  // when it just established the identity from it. Envoy removes after it sets, so a header
  // this answer sets (the upstream's own Basic credentials) must not be listed.
  const owned = headerAuth.intercept || (identity !== null && identity.method !== 'session');
  if (rendering.removeConsumedCredential && owned && !Object.hasOwn(headers, headerAuth.header)) {
    reply.header(ENVOY_HEADERS_TO_REMOVE, headerAuth.header);
  }
  return reply.send();
}

/**
 * The headers of an allow: `additionalHeaders`, the identity headers and, when configured,
 * the upstream's own Basic credentials. On an anonymous allow (a skip path) every identity
 * header is present and empty, so a proxy that copies them overwrites whatever the client
 * sent instead of leaving it, or a placeholder, in place (Caddy 2.6's `copy_headers` sends
 * its literal `{http.reverse_proxy.header.…}` for a header the answer lacks).
 */
export function allowHeaders(app: PreparedApplication, identity: Identity | null): Readonly<Record<string, string>> {
  if (identity === null) return buildAllowHeaders(app, null);
  // An identity is immutable and comes back on every request of its session or cached
  // credential: its answer is built once per application (and key set, see identityHeaderEntries).
  const { plan } = app.upstream;
  const memo = allowMemos.get(identity);
  if (memo !== undefined && memo.plan === plan && memo.jwks === plan.meta.jwks) return memo.headers;
  const headers = Object.freeze(buildAllowHeaders(app, identity));
  allowMemos.set(identity, { plan, jwks: plan.meta.jwks, headers });
  return headers;
}

/** Held weakly, like the identity headers' memo: never longer than the identity lives. */
const allowMemos = new WeakMap<Identity, { readonly plan: PreparedApplication['upstream']['plan']; readonly jwks: string; readonly headers: Readonly<Record<string, string>> }>();

function buildAllowHeaders(app: PreparedApplication, identity: Identity | null): Record<string, string> {
  const { plan } = app.upstream;
  const headers: Record<string, string> = Object.fromEntries(extraHeaderEntries(plan, identity));
  if (identity === null) {
    for (const name of IDENTITY_HEADER_NAMES) {
      headers[name] = '';
    }
    return headers;
  }
  for (const [name, value] of identityHeaderEntries(identity, plan.meta)) {
    headers[name] = value;
  }
  if (plan.basicAuth.enabled) {
    const authorization = upstreamBasicAuthorization(identity, plan.basicAuth);
    if (authorization !== null) {
      headers.authorization = authorization;
    }
  }
  return headers;
}

function renderOutageAsUnauthorized(
  reply: AnyReply,
  app: PreparedApplication,
  outcome: Extract<RenderedOutcome, { kind: 'unavailable' }>,
  rendering: ForwardRendering,
  wantsHtml: boolean,
): AnyReply {
  return renderRetryLater(reply, app, outcome.retryAfterSeconds, rendering, wantsHtml, {
    error: 'service_unavailable',
    message: 'Sign-in is temporarily unavailable. Please try again shortly.',
  });
}

/** A 401 that is not about the credentials: `Retry-After`, the plain challenges, no login URL. */
function renderRetryLater(
  reply: AnyReply,
  app: PreparedApplication,
  retryAfterSeconds: number,
  rendering: ForwardRendering,
  wantsHtml: boolean,
  body: { readonly error: string; readonly message: string },
): AnyReply {
  const challenges = challengeLines(app.challenges.missing, rendering);
  if (challenges.length > 0) {
    reply.header('www-authenticate', [...challenges]);
  }
  reply.header('retry-after', String(retryAfterSeconds));
  return sendError(reply, wantsHtml, { status: 401, ...body });
}

function challengeLines(challenges: readonly string[], rendering: ForwardRendering): readonly string[] {
  return rendering.joinChallenges && challenges.length > 1 ? [challenges.join(', ')] : challenges;
}
