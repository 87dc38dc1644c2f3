/**
 * Token introspection (RFC 7662): authentik's own way of checking tokens, and the only way
 * to see a revocation before the token expires. The client authenticates as the provider's
 * configuration says (`identity.clientAuth`, RFC 7662 §2.1).
 */

import * as oidc from 'openid-client';
import type { JWTPayload } from 'jose';
import { classifyEndpointError } from './grants.js';
import type { VerifiedToken } from './access-token.js';
import { invalid, type Verdict } from './verdict.js';

export async function introspectToken(configuration: oidc.Configuration, token: string, audiences: readonly string[]): Promise<Verdict<VerifiedToken>> {
  let response: oidc.IntrospectionResponse;
  try {
    response = await oidc.tokenIntrospection(configuration, token, { token_type_hint: 'access_token' });
  } catch (error) {
    return classifyEndpointError(error);
  }
  if (response.active !== true) {
    return invalid('the identity provider reports the token inactive');
  }
  const aud = response.aud;
  const audienceList = Array.isArray(aud) ? aud : typeof aud === 'string' ? [aud] : [];
  if (audienceList.length > 0 && !audienceList.some((value) => audiences.includes(value))) {
    return invalid('the token was issued for another audience');
  }
  if (response.token_type !== undefined && !/^(access_token|bearer)$/i.test(response.token_type)) {
    return invalid('the introspected token is not an access token');
  }
  const exp = typeof response.exp === 'number' ? response.exp * 1000 : Number.POSITIVE_INFINITY;
  return { ok: true, value: { claims: response as unknown as JWTPayload, expiresAt: exp } };
}
