/**
 * Whether the TCP peer of a request is one of `trustedProxies`, for the forward-auth
 * endpoints, which believe forwarded headers (`X-Forwarded-Uri`, `X-Original-URL`, …) only
 * from such a peer. The same compiled function is Fastify's `trustProxy`, so the two agree.
 */

import type { FastifyRequest } from 'fastify';
import type { TrustFunction } from '../trust.js';

export type PeerTrust = (request: FastifyRequest) => boolean;

export function peerTrust(trust: TrustFunction): PeerTrust {
  return (request) => trust(request.raw.socket.remoteAddress);
}
