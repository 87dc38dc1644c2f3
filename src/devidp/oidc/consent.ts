import type { Grant, KoaContextWithOIDC } from 'oidc-provider';

import { SUPPORTED_SCOPES } from '../users/claims.js';
import { resourceIndicatorFor } from './resource.js';
import { sessionSid } from './session-ids.js';

/**
 * Dev clients are first-party, so consent is implied: instead of a consent screen the grant is
 * created (or topped up) with whatever the authorization request asks for, and oidc-provider
 * never raises the consent prompt.
 */
export async function loadConsentedGrant(ctx: KoaContextWithOIDC): Promise<Grant | undefined> {
  const { oidc } = ctx;
  const client = oidc.client;
  const session = oidc.session;
  const accountId = session?.accountId;
  if (client === undefined || session === undefined || accountId === undefined) return undefined;
  // Before oidc-provider gives the client a random per-client sid: authentik's is one per browser session.
  session.sidFor(client.clientId, sessionSid(session.uid));

  const existingId = oidc.result?.consent?.grantId ?? session.grantIdFor(client.clientId);
  const existing = existingId ? await oidc.provider.Grant.find(existingId) : undefined;
  const grant = existing?.accountId === accountId ? existing : new oidc.provider.Grant({ accountId, clientId: client.clientId });

  const scope = [...oidc.requestParamScopes].filter((s) => (SUPPORTED_SCOPES as readonly string[]).includes(s)).join(' ');
  grant.addOIDCScope(scope);
  grant.addOIDCClaims([...oidc.requestParamClaims]);
  grant.addResourceScope(resourceIndicatorFor(client.clientId), scope);
  await grant.save();
  return grant;
}
