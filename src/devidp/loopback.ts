import { isIPv4, isIPv6 } from 'node:net';

/**
 * True for addresses only this machine can reach. `0.0.0.0` and `::` mean "every interface"
 * and are not loopback: a dev IdP with known passwords must not be reachable from the network.
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare.toLowerCase() === 'localhost') return true;
  if (isIPv4(bare)) return bare.startsWith('127.');
  if (isIPv6(bare)) return bare === '::1' || /^(0{1,4}:){7}0{0,3}1$/.test(bare) || /^::ffff:127\./i.test(bare);
  return false;
}

/** The host as it appears in a URL authority (IPv6 in brackets). */
export function urlHost(host: string): string {
  return isIPv6(host) ? `[${host}]` : host;
}
