/**
 * The outpost's reserved endpoints under `/outpost.goauthentik.io/`, answered on every
 * application host before (and instead of) the proxy. The whole prefix is reserved: a path
 * under it that is not an endpoint is a 404, never forwarded upstream.
 */

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { contextOf } from './context.js';
import { caddyFlavour, envoyFlavour, forwardAuthEndpoints, nginxFlavour, traefikFlavour } from './forward/index.js';
import { backchannelLogout, finishLogin, signOut, startLogin } from './login/index.js';
import { sendError } from './render.js';
import type { TrustFunction } from './trust.js';

export const RESERVED_PREFIX = '/outpost.goauthentik.io/';

const FORM_BODY_LIMIT = 64 * 1024;

export interface ReservedOptions {
  /** `trustedProxies`, compiled; the forward-auth endpoints believe forwarded headers only from these peers. */
  readonly trust: TrustFunction;
}

export async function reservedEndpoints(scope: FastifyInstance, options: ReservedOptions): Promise<void> {
  scope.get(`${RESERVED_PREFIX}ping`, async (request, reply) => {
    contextOf(request).outcome = 'reserved';
    return reply.code(204).header('cache-control', 'no-store').send();
  });
  // Back-channel logout tokens arrive as an HTML form post (OIDC Back-Channel Logout §2.5).
  scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT }, (_request, body, done) => {
    done(null, new URLSearchParams(body as string));
  });
  scope.get(`${RESERVED_PREFIX}start`, startLogin);
  scope.get(`${RESERVED_PREFIX}callback`, finishLogin);
  scope.route({ method: ['GET', 'POST'], url: `${RESERVED_PREFIX}sign_out`, handler: signOut });
  scope.post(`${RESERVED_PREFIX}backchannel_logout`, backchannelLogout);
  // The forward-auth endpoints (`auth/nginx`, `auth/traefik`, `auth/caddy`, `auth/envoy/*`).
  await scope.register(forwardAuthEndpoints, {
    flavours: [nginxFlavour, traefikFlavour, caddyFlavour, envoyFlavour],
    trust: options.trust,
  });
  scope.all(`${RESERVED_PREFIX}*`, notFound);
}

export async function notFound(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const context = contextOf(request);
  context.outcome = 'reject';
  return sendError(reply, context.wantsHtml, { status: 404, error: 'not_found', message: 'There is nothing at this address.' });
}
