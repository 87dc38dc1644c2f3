/**
 * The browser login flow with openid-client: authorization code with PKCE (S256), state and
 * nonce; the code exchange with every ID-token check openid-client performs (signature,
 * issuer, audience, nonce, expiry); refresh; RP-initiated logout.
 *
 * @see OpenID Connect Core 1.0 §3.1, RFC 7636 (PKCE), RFC 9207 (issuer in the response)
 */

import * as oidc from 'openid-client';
import { classifyEndpointError } from './grants.js';
import { invalid, unavailable, type Verdict } from './verdict.js';

export interface LoginSecrets {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
}

export function newLoginSecrets(): LoginSecrets {
  return { state: oidc.randomState(), nonce: oidc.randomNonce(), codeVerifier: oidc.randomPKCECodeVerifier() };
}

export async function authorizationUrl(
  configuration: oidc.Configuration,
  request: { readonly redirectUri: string; readonly scopes: readonly string[]; readonly secrets: LoginSecrets },
): Promise<URL> {
  return oidc.buildAuthorizationUrl(configuration, {
    redirect_uri: request.redirectUri,
    scope: request.scopes.join(' '),
    response_type: 'code',
    state: request.secrets.state,
    nonce: request.secrets.nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(request.secrets.codeVerifier),
    code_challenge_method: 'S256',
  });
}

export interface LoginTokens {
  readonly accessToken: string;
  readonly idToken: string;
  readonly refreshToken: string | undefined;
  /** Epoch ms at which the access token expires. */
  readonly expiresAt: number;
  /** The validated ID token's claims. */
  readonly claims: Readonly<Record<string, unknown>>;
}

/**
 * Exchanges the authorization code in `callbackUrl` (built from externalHost, never from the
 * Host header). `invalid` covers everything the browser or an attacker can cause (IdP error
 * response, state or nonce mismatch, reused code, bad ID token); `unavailable` an IdP outage.
 */
export async function exchangeCode(
  configuration: oidc.Configuration,
  callbackUrl: URL,
  secrets: LoginSecrets,
  redirectUri: string,
  now: number,
): Promise<Verdict<LoginTokens>> {
  let response: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
  try {
    response = await oidc.authorizationCodeGrant(
      configuration,
      callbackUrl,
      { pkceCodeVerifier: secrets.codeVerifier, expectedState: secrets.state, expectedNonce: secrets.nonce, idTokenExpected: true },
      { redirect_uri: redirectUri },
    );
  } catch (error) {
    return classifyLoginError(error);
  }
  return tokensOf(response, now, undefined);
}

export async function refreshTokens(configuration: oidc.Configuration, refreshToken: string, now: number, previousIdToken: string): Promise<Verdict<LoginTokens>> {
  try {
    return tokensOf(await oidc.refreshTokenGrant(configuration, refreshToken), now, previousIdToken);
  } catch (error) {
    return classifyEndpointError(error);
  }
}

export function endSessionUrl(configuration: oidc.Configuration, idTokenHint: string | undefined): URL | null {
  if (configuration.serverMetadata().end_session_endpoint === undefined) {
    return null;
  }
  return oidc.buildEndSessionUrl(configuration, idTokenHint === undefined ? {} : { id_token_hint: idTokenHint });
}

function tokensOf(response: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers, now: number, previousIdToken: string | undefined): Verdict<LoginTokens> {
  const idToken = response.id_token ?? previousIdToken;
  const claims = response.claims();
  if (idToken === undefined || claims === undefined && previousIdToken === undefined) {
    return invalid('the identity provider returned no ID token');
  }
  const expiresIn = response.expiresIn();
  return {
    ok: true,
    value: {
      accessToken: response.access_token,
      idToken,
      refreshToken: response.refresh_token,
      expiresAt: now + (expiresIn ?? 300) * 1000,
      claims: (claims ?? {}) as Readonly<Record<string, unknown>>,
    },
  };
}

// openid-client's codes for an IdP that did not answer properly, as opposed to an answer
// that failed a check (state, nonce, ID token signature, audience, expiry…).
const OUTAGE_CODES = new Set(['OAUTH_TIMEOUT', 'OAUTH_ABORT', 'OAUTH_RESPONSE_IS_NOT_CONFORM', 'OAUTH_RESPONSE_IS_NOT_JSON']);

function classifyLoginError(error: unknown): Verdict<never> {
  if (error instanceof oidc.AuthorizationResponseError) {
    return invalid(`the identity provider answered ${error.error}`);
  }
  if (error instanceof oidc.ResponseBodyError) {
    return error.status >= 500 ? unavailable(`the token endpoint answered ${error.status}`) : invalid(`the token endpoint refused the code: ${error.error}`);
  }
  // fetch() rejects with a TypeError when the connection fails.
  if (error instanceof TypeError || (error instanceof oidc.ClientError && OUTAGE_CODES.has(error.code ?? ''))) {
    return unavailable(`the identity provider could not be reached: ${error.message}`);
  }
  return invalid(error instanceof Error ? error.message : String(error));
}
