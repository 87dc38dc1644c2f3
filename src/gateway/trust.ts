/**
 * Which TCP peers may speak for the client through X-Forwarded-* headers. One compiled
 * function serves Fastify's `trustProxy` and Portcullis's own forwarding decisions, so the
 * two can never disagree.
 */

import { compileCidrs } from '../policy/index.js';

export type TrustFunction = (address: string | undefined, hop?: number) => boolean;

/** `cidrs` are `trustedProxies` as validated (normalized ranges). */
export function compileTrust(cidrs: readonly string[]): TrustFunction {
  const matches = compileCidrs(cidrs);
  return (address) => matches(address);
}
