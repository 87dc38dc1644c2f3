/**
 * Which TCP peers may speak for the client through X-Forwarded-* headers. One compiled
 * function serves Fastify's `trustProxy` and Portcullis's own forwarding decisions, so the
 * two can never disagree.
 */

import { BlockList, isIP } from 'node:net';

export type TrustFunction = (address: string | undefined, hop?: number) => boolean;

export function compileTrust(cidrs: readonly string[]): TrustFunction {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [network = '', prefix = ''] = cidr.split('/');
    const family = isIP(network) === 6 ? 'ipv6' : 'ipv4';
    list.addSubnet(network, Number(prefix), family);
  }
  return (address) => {
    if (address === undefined) {
      return false;
    }
    const plain = unmapIpv4(address);
    const family = isIP(plain);
    return family !== 0 && list.check(plain, family === 6 ? 'ipv6' : 'ipv4');
  };
}

/** `::ffff:127.0.0.1` (a dual-stack socket's view of an IPv4 peer) → `127.0.0.1`. */
export function unmapIpv4(address: string): string {
  return address.toLowerCase().startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
