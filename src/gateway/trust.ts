/**
 * Which TCP peers may speak for the client through X-Forwarded-* headers. One compiled
 * function serves Fastify's `trustProxy` and Portcullis's own forwarding decisions, so the
 * two can never disagree.
 */

import { BoundedMemo } from '../memo/index.js';
import { compileCidrs } from '../policy/index.js';

export type TrustFunction = (address: string | undefined, hop?: number) => boolean;

/** `cidrs` are `trustedProxies` as validated (normalized ranges). */
export function compileTrust(cidrs: readonly string[]): TrustFunction {
  const matches = compileCidrs(cidrs);
  // Fastify asks for every `request.ip` / `request.host` when forwarded headers are present,
  // and BlockList.check builds a SocketAddress each time; the answer depends on the address only.
  // Distinct addresses remembered: a peer set is small.
  const memo = new BoundedMemo<string, boolean>(1024);
  return (address) => {
    if (address === undefined) return false;
    return memo.get(address) ?? memo.remember(address, matches(address));
  };
}
