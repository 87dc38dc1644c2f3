import type Provider from 'oidc-provider';
import type { AccessToken, ResourceServer } from 'oidc-provider';
import { errors } from 'oidc-provider';

import { SUPPORTED_SCOPES } from '../users/claims.js';

/**
 * JWT access tokens in oidc-provider come from Resource Indicators (RFC 8707): every client
 * gets one implicit resource whose audience is the client id, as authentik does (`aud` = client id).
 */
export function resourceIndicatorFor(clientId: string): string {
  return `urn:portcullis:devidp:client:${encodeURIComponent(clientId)}`;
}

export function resourceServerInfo(resource: string, clientId: string): ResourceServer {
  // Another client's resource would mint tokens for an audience this client does not own.
  if (resource !== resourceIndicatorFor(clientId)) throw new errors.InvalidTarget();
  return {
    scope: SUPPORTED_SCOPES.join(' '),
    audience: clientId,
    accessTokenFormat: 'jwt',
    jwt: { sign: { alg: 'RS256' } },
  };
}

type ResourceServerClass = new (identifier: string, info: ResourceServer) => ResourceServer;

/** Attaches the client's resource server to a token built outside oidc-provider's own grants. */
export function attachResourceServer(provider: Provider, token: AccessToken, clientId: string): void {
  // oidc-provider exposes the class at runtime; @types/oidc-provider does not declare it.
  const ResourceServerCtor = (provider as unknown as { ResourceServer: ResourceServerClass }).ResourceServer;
  const resource = resourceIndicatorFor(clientId);
  token.resourceServer = new ResourceServerCtor(resource, resourceServerInfo(resource, clientId));
}
