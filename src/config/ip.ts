/** IP addresses and CIDR ranges: parsing, RFC 5952 formatting, loopback detection. */

import { isIPv4, isIPv6 } from 'node:net';

interface IpAddress {
  readonly bits: 32 | 128;
  readonly value: bigint;
}

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

/** A literal IPv4 or IPv6 address (no zone id), or null. */
export function parseIp(text: string): IpAddress | null {
  if (isIPv4(text)) return { bits: 32, value: ipv4Value(text) };
  if (isIPv6(text) && !text.includes('%')) return { bits: 128, value: ipv6Value(text) };
  return null;
}

/** Dotted quad, or RFC 5952 text (lower case, longest zero run compressed). */
export function formatIp(ip: IpAddress): string {
  if (ip.bits === 32) {
    return [24n, 16n, 8n, 0n].map((shift) => String((ip.value >> shift) & 0xffn)).join('.');
  }
  const groups = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((shift) => Number((ip.value >> shift) & 0xffffn));
  let best = { start: -1, length: 1 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    if (j - i > best.length) best = { start: i, length: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.start < 0) return hex.join(':');
  const head = hex.slice(0, best.start).join(':');
  const tail = hex.slice(best.start + best.length).join(':');
  return `${head}::${tail}`;
}

export type CidrResult =
  | { readonly ok: true; readonly cidr: string }
  | { readonly ok: false; readonly networkAddress: string | null };

/**
 * "10.0.0.0/8", "2001:db8::/32" or a bare address (→ /32, /128), normalized. A range with bits
 * set past its prefix is refused with the network address it probably meant: "10.1.2.3/8"
 * silently widened to 10.0.0.0/8 would trust far more than its author intended.
 */
export function parseCidr(text: string): CidrResult {
  const slash = text.indexOf('/');
  const ip = parseIp(slash < 0 ? text : text.slice(0, slash));
  const prefixText = slash < 0 ? undefined : text.slice(slash + 1);
  if (ip === null || (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText))) {
    return { ok: false, networkAddress: null };
  }
  const prefix = prefixText === undefined ? ip.bits : Number(prefixText);
  if (prefix > ip.bits) return { ok: false, networkAddress: null };
  const hostMask = (1n << BigInt(ip.bits - prefix)) - 1n;
  const network = { bits: ip.bits, value: ip.value & ~hostMask };
  const cidr = `${formatIp(network)}/${prefix}`;
  return (ip.value & hostMask) === 0n ? { ok: true, cidr } : { ok: false, networkAddress: cidr };
}

/**
 * Whether a URL hostname names this machine: localhost, *.localhost (RFC 6761 §6.3),
 * 127.0.0.0/8 or ::1. Such hosts may use plain http; nothing else may.
 */
export function isLoopbackHostname(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  const ip = parseIp(host);
  if (ip === null) return false;
  return ip.bits === 32 ? ip.value >> 24n === 127n : ip.value === 1n;
}
