/**
 * Traefik `forwardAuth`: a GET to the auth address carrying the client's headers, with the
 * original request in `X-Forwarded-Proto`, `X-Forwarded-Host`, `X-Forwarded-Uri` and
 * `X-Forwarded-Method` (traefik pkg/middlewares/auth/forward.go, `writeHeader`). Any non-2xx
 * answer goes to the client as it is, so the statuses are proxy mode's.
 *
 * @see https://doc.traefik.io/traefik/middlewares/http/forwardauth/
 */

import type { FastifyRequest } from 'fastify';
import type { ForwardFlavour } from './endpoints.js';
import { headerLines } from '../header-lines.js';
import { allOf, ok, optionalHeader, parseHost, parseMethod, parseProto, parseRequestTarget, problem, requiredHeader, type OriginalRequest, type Parsed } from './original.js';

/** The X-Forwarded-* contract Traefik and Caddy share. */
export function forwardedOriginal(request: FastifyRequest, peerTrusted: boolean): Parsed<OriginalRequest> {
  if (!peerTrusted) {
    return problem('X-Forwarded-* headers are believed only from trustedProxies, and this peer is not one');
  }
  const parsed = allOf({
    // The scheme is checked but not used: the login returns with externalHost's scheme.
    proto: requiredHeader('X-Forwarded-Proto', headerLines(request.raw, 'x-forwarded-proto'), parseProto),
    host: requiredHeader('X-Forwarded-Host', headerLines(request.raw, 'x-forwarded-host'), parseHost),
    uri: requiredHeader('X-Forwarded-Uri', headerLines(request.raw, 'x-forwarded-uri'), parseRequestTarget),
    method: optionalHeader('X-Forwarded-Method', headerLines(request.raw, 'x-forwarded-method'), parseMethod, request.method),
  });
  if (!parsed.ok) {
    return parsed;
  }
  const { method, host, uri } = parsed.value;
  return ok({ method, host, ...uri });
}

export const traefikFlavour: ForwardFlavour = {
  name: 'traefik',
  paths: ['/outpost.goauthentik.io/auth/traefik'],
  original: forwardedOriginal,
  rendering: {
    login: 'redirect',
    outage: 'service-unavailable',
    onlyUnauthorizedOrForbidden: false,
    joinChallenges: false,
    failClosed: false,
    removeConsumedCredential: false,
  },
};
