/**
 * CIDR ranges for `kind: network`, parsed once into a `BlockList`, and the client-address check.
 */

import { BlockList, isIPv4, isIPv6 } from 'node:net';

export interface CidrRange {
  readonly network: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
}

export type CidrResult =
  | { readonly ok: true; readonly range: CidrRange }
  /** `suggestion` is the network address when only host bits were set past the prefix. */
  | { readonly ok: false; readonly suggestion: string | null };

/**
 * "10.0.0.0/8", "2001:db8::/32" or a bare address (→ /32, /128). A range with bits set past its
 * prefix is refused with the network it probably meant: "10.1.2.3/8" silently widened to
 * 10.0.0.0/8 would admit far more clients than its author intended.
 */
export function parseCidr(text: string): CidrResult {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const prefixText = slash < 0 ? null : text.slice(slash + 1);
  const family = isIPv4(address) ? 'ipv4' : isIPv6(address) && !address.includes('%') ? 'ipv6' : null;
  if (family === null || (prefixText !== null && !/^\d{1,3}$/.test(prefixText))) return { ok: false, suggestion: null };
  const bits = family === 'ipv4' ? 32 : 128;
  const prefix = prefixText === null ? bits : Number(prefixText);
  if (prefix > bits) return { ok: false, suggestion: null };
  const value = family === 'ipv4' ? ipv4Value(address) : ipv6Value(address);
  const hostMask = (1n << BigInt(bits - prefix)) - 1n;
  const network = value & ~hostMask;
  const networkText = family === 'ipv4' ? formatIpv4(network) : formatIpv6(network);
  if ((value & hostMask) !== 0n) return { ok: false, suggestion: `${networkText}/${prefix}` };
  return { ok: true, range: { network: networkText, prefix, family } };
}

/** Whether `ip` (v4, v6, or v4-mapped v6 such as `::ffff:10.1.2.3`) is in any of the ranges. */
export type AddressMatcher = (ip: string) => boolean;

export function compileRanges(ranges: readonly CidrRange[]): AddressMatcher {
  const list = new BlockList();
  for (const range of ranges) list.addSubnet(range.network, range.prefix, range.family);
  return (ip) => {
    const mapped = MAPPED_IPV4.exec(ip);
    // A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d; they must match IPv4 ranges.
    if (mapped !== null && list.check(mapped[1] as string, 'ipv4')) return true;
    if (isIPv4(ip)) return list.check(ip, 'ipv4');
    if (isIPv6(ip) && !ip.includes('%')) return list.check(ip, 'ipv6');
    return false;
  };
}

const MAPPED_IPV4 = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i;

function ipv4Value(text: string): bigint {
  return text.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function ipv6Value(text: string): bigint {
  let t = text;
  const lastColon = t.lastIndexOf(':');
  const tail = t.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = ipv4Value(tail);
    t = `${t.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  let groups: string[];
  if (t.includes('::')) {
    const [head = '', rest = ''] = t.split('::');
    const h = head === '' ? [] : head.split(':');
    const r = rest === '' ? [] : rest.split(':');
    groups = [...h, ...new Array<string>(8 - h.length - r.length).fill('0'), ...r];
  } else {
    groups = t.split(':');
  }
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

function formatIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

/** RFC 5952 text: lower case, the longest run of two or more zero groups compressed. */
function formatIpv6(value: bigint): string {
  const groups = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((shift) => Number((value >> shift) & 0xffffn));
  let best = { start: -1, length: 1 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    if (j - i > best.length) best = { start: i, length: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.start < 0) return hex.join(':');
  return `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.length).join(':')}`;
}
