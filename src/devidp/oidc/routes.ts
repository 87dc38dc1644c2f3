import type { DevIdpEndpoint } from '../types.js';

/**
 * Paths of the IdP's endpoints below the issuer path. oidc-provider is configured from the same
 * table the HTTP wrapper classifies requests with, so the two cannot drift apart.
 */
export const ROUTES = {
  authorization: '/auth',
  token: '/token',
  introspection: '/token/introspection',
  revocation: '/token/revocation',
  userinfo: '/me',
  end_session: '/session/end',
  jwks: '/jwks',
} as const;

export const DISCOVERY_PATH = '/.well-known/openid-configuration';
export const INTERACTION_PREFIX = '/interaction/';

/** The endpoint a path (already stripped of the issuer path) belongs to, if any. */
export function classifyPath(path: string): DevIdpEndpoint | undefined {
  if (path === DISCOVERY_PATH) return 'discovery';
  if (path.startsWith(INTERACTION_PREFIX)) return 'interaction';
  for (const [endpoint, route] of Object.entries(ROUTES)) {
    if (path === route) return endpoint as DevIdpEndpoint;
  }
  // Resumed authorizations (/auth/<uid>) and the logout confirm/success pages count with their endpoint.
  if (path.startsWith(`${ROUTES.authorization}/`)) return 'authorization';
  if (path.startsWith(`${ROUTES.end_session}/`)) return 'end_session';
  return undefined;
}
