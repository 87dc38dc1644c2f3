import { createHash } from 'node:crypto';

/**
 * The session cookie name when `sessions.cookieName` is empty, as authentik's proxy outpost
 * names it: `authentik_proxy_` and the first 8 hex digits of SHA-256 over the client id.
 */
export function cookieNameFor(clientId: string): string {
  const digest = createHash('sha256').update(clientId, 'utf8').digest('hex');
  return `authentik_proxy_${digest.slice(0, 8)}`;
}
