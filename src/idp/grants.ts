/**
 * Exchanging an app password for an access token at the IdP's token endpoint.
 *
 * authentik's dialect: `grant_type=client_credentials` with `username` and `password` (the
 * app password) next to the client's own credentials; the standard alternative is the
 * resource-owner `password` grant (`identity.basicGrant`). The client authenticates as the
 * provider's configuration says (`identity.clientAuth`), like every other token-endpoint call.
 */

import * as oidc from 'openid-client';
import type { BasicGrant } from '../config/index.js';
import { invalid, unavailable, type Verdict } from './verdict.js';
import { messageOf } from '../errors/index.js';

export interface GrantRequest {
  readonly grant: BasicGrant;
  readonly username: string;
  readonly password: string;
  readonly scopes: readonly string[];
}

// Token-endpoint errors that are a verdict on the user's credentials (RFC 6749 §5.2).
// Everything else (invalid_client, unauthorized_client, invalid_scope, 5xx, timeouts) is a
// problem between Portcullis and the IdP, and the user must not be told their password is wrong.
const CREDENTIAL_ERRORS = new Set(['invalid_grant', 'invalid_request']);

/** What the token endpoint issued for an app password. */
export interface IssuedTokens {
  readonly accessToken: string;
  /** The ID token, when the IdP issued one (authentik does: it is what its outposts send upstream). */
  readonly idToken: string | undefined;
}

export async function exchangePassword(configuration: oidc.Configuration, request: GrantRequest): Promise<Verdict<IssuedTokens>> {
  const parameters = {
    username: request.username,
    password: request.password,
    scope: request.scopes.join(' '),
  };
  try {
    const response =
      request.grant === 'client_credentials'
        ? await oidc.clientCredentialsGrant(configuration, parameters)
        : await oidc.genericGrantRequest(configuration, 'password', parameters);
    return { ok: true, value: { accessToken: response.access_token, idToken: response.id_token } };
  } catch (error) {
    return classifyEndpointError(error);
  }
}

export function classifyEndpointError(error: unknown): Verdict<never> {
  if (error instanceof oidc.WWWAuthenticateChallengeError) {
    return unavailable(`the identity provider refused this client's authentication (${error.status})`);
  }
  if (error instanceof oidc.ResponseBodyError) {
    if (error.status >= 400 && error.status < 500 && CREDENTIAL_ERRORS.has(error.error)) {
      return invalid(error.error);
    }
    return unavailable(`the identity provider answered ${error.status} ${error.error}`);
  }
  const message = messageOf(error);
  return unavailable(`the identity provider could not be reached: ${message}`);
}
