/**
 * Address matching for `kind: network` and for `trustedProxies`: normalized CIDR ranges
 * (parsed by the configuration's own parser, so both read ranges the same way) compiled
 * once into a `BlockList`.
 */

import { BlockList, isIPv4, isIPv6 } from 'node:net';

/** Whether an address (v4, v6, or v4-mapped v6 such as `::ffff:10.1.2.3`) is in any of the ranges. */
export type AddressMatcher = (ip: string | undefined) => boolean;

const MAPPED_IPV4 = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i;

/** `cidrs` are normalized ranges such as `10.0.0.0/8` or `::1/128` (as `parseCidr` returns them). */
export function compileCidrs(cidrs: readonly string[]): AddressMatcher {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [network = '', prefix = ''] = cidr.split('/');
    list.addSubnet(network, Number(prefix), isIPv4(network) ? 'ipv4' : 'ipv6');
  }
  return (ip) => {
    if (ip === undefined) return false;
    const mapped = MAPPED_IPV4.exec(ip);
    // A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d; they must match IPv4 ranges.
    if (mapped !== null && list.check(mapped[1] as string, 'ipv4')) return true;
    if (isIPv4(ip)) return list.check(ip, 'ipv4');
    if (isIPv6(ip) && !ip.includes('%')) return list.check(ip, 'ipv6');
    return false;
  };
}
