/**
 * Who a failed login counts against: the canonical form of a username and of a client
 * address. Pure functions; the limiter (login-throttle.ts) keys its counters by them.
 */

import { parseCidr } from '../config/index.js';

/**
 * The form a username is counted under: Unicode NFKC (what Django, and so authentik, stores
 * usernames as), surrounding whitespace removed, lower-cased (authentik matches usernames
 * case-insensitively). Spellings an IdP may treat as one account count as one, so `Alice`,
 * ` alice` and the full-width `ａｌｉｃｅ` cannot each get their own allowance of guesses. The
 * price, two accounts differing only in case sharing one counter, falls on the safe side.
 */
export function canonicalUsername(username: string): string {
  return username.normalize('NFKC').trim().toLowerCase();
}

const IPV4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/**
 * The form a client address is counted under: an IPv4 address as it is (an IPv4-mapped IPv6
 * address as its IPv4 address), an IPv6 address as its /64. One IPv6 subscriber usually holds a
 * whole /64, so counting single IPv6 addresses would hand an attacker 2^64 allowances. Anything
 * unparsable is counted as written (it still has one counter).
 */
export function canonicalAddress(address: string): string {
  const mapped = IPV4_MAPPED.exec(address);
  if (mapped !== null) {
    return mapped[1] as string;
  }
  if (!address.includes(':')) {
    return address;
  }
  const network = parseCidr(`${address}/64`);
  return network.ok ? network.cidr : (network.networkAddress ?? address);
}
