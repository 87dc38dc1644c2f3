/**
 * Which TCP peers may speak for the client through X-Forwarded-* headers. One compiled
 * function serves Fastify's `trustProxy` and Portcullis's own forwarding decisions, so the
 * two can never disagree.
 */

import { compileCidrs } from '../policy/index.js';

export type TrustFunction = (address: string | undefined, hop?: number) => boolean;

/** Distinct addresses remembered; the memo is dropped whole when full (a peer set is small). */
const MEMO_LIMIT = 1024;

/** `cidrs` are `trustedProxies` as validated (normalized ranges). */
export function compileTrust(cidrs: readonly string[]): TrustFunction {
  const matches = compileCidrs(cidrs);
  // Fastify asks for every `request.ip` / `request.host` when forwarded headers are present,
  // and BlockList.check builds a SocketAddress each time; the answer depends on the address only.
  const memo = new Map<string, boolean>();
  return (address) => {
    if (address === undefined) return false;
    let trusted = memo.get(address);
    if (trusted === undefined) {
      trusted = matches(address);
      if (memo.size >= MEMO_LIMIT) memo.clear();
      memo.set(address, trusted);
    }
    return trusted;
  };
}
