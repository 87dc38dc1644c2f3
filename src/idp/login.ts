/**
 * The browser login flow with openid-client: authorization code with PKCE (S256), state and
 * nonce; the code exchange with every ID-token check (oauth4webapi's issuer, audience, nonce and
 * expiry, and the signature against the IdP's key cache); refresh; RP-initiated logout.
 *
 * @see OpenID Connect Core 1.0 §3.1, RFC 7636 (PKCE), RFC 9207 (issuer in the response)
 */

import * as oauth from 'oauth4webapi';
import * as oidc from 'openid-client';
import { classifyEndpointError } from './grants.js';
import { verifyIdTokenSignature } from './id-token.js';
import type { IdentityProvider } from './provider.js';
import { isPortcullisError } from '../errors/index.js';
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
 * Exchanges the authorization code in `callbackParams` (read from the callback's query, never
 * from the Host header). `invalid` covers everything a browser or an attacker can cause (IdP
 * error response, state mismatch, reused code, bad ID token, wrong nonce); `unavailable` an
 * IdP outage.
 *
 * This goes one level below openid-client, to oauth4webapi (its engine), because the
 * redirect_uri must be sent exactly as registered: authentik registers
 * `…/callback?X-authentik-auth-callback=true`, and openid-client would strip that query.
 */
export async function exchangeCode(
  provider: IdentityProvider,
  callbackParams: URLSearchParams,
  secrets: LoginSecrets,
  redirectUri: string,
  now: number,
): Promise<Verdict<LoginTokens>> {
  try {
    const configuration = await provider.configuration();
    const as = configuration.serverMetadata();
    const client: oauth.Client = { client_id: provider.clientId };
    const secret = provider.identity.clientSecret;
    const auth = secret === '' ? oauth.None() : oauth.ClientSecretPost(secret);
    const params = oauth.validateAuthResponse(as, client, callbackParams, secrets.state);
    const response = await oauth.authorizationCodeGrantRequest(as, client, auth, params, redirectUri, secrets.codeVerifier, {
      signal: AbortSignal.timeout(provider.timeoutMs),
      [oauth.customFetch]: provider.fetch,
      // Plain-http issuers are only accepted on loopback (enforced by config validation).
      [oauth.allowInsecureRequests]: as.issuer.startsWith('http:'),
    });
    const result = await oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: secrets.nonce, requireIdToken: true });
    const claims = oauth.getValidatedIdTokenClaims(result);
    if (result.id_token === undefined || claims === undefined) {
      return invalid('the identity provider returned no ID token');
    }
    const signature = await verifyIdTokenSignature(provider, result.id_token);
    if (!signature.ok) {
      return signature;
    }
    return {
      ok: true,
      value: {
        accessToken: result.access_token,
        idToken: result.id_token,
        refreshToken: result.refresh_token,
        expiresAt: now + (result.expires_in ?? 300) * 1000,
        claims: claims as unknown as Readonly<Record<string, unknown>>,
      },
    };
  } catch (error) {
    return classifyLoginError(error);
  }
}

export async function refreshTokens(provider: IdentityProvider, refreshToken: string, now: number, previousIdToken: string): Promise<Verdict<LoginTokens>> {
  let response;
  try {
    response = await oidc.refreshTokenGrant(await provider.configuration(), refreshToken);
  } catch (error) {
    return classifyEndpointError(error);
  }
  if (response.id_token !== undefined) {
    const signature = await verifyIdTokenSignature(provider, response.id_token);
    if (!signature.ok) {
      return signature;
    }
  }
  return tokensOf(response, now, previousIdToken);
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

// Codes for an IdP that did not answer properly, as opposed to an answer that failed a
// check (state, nonce, ID token claims…).
const OUTAGE_CODES = new Set(['OAUTH_TIMEOUT', 'OAUTH_ABORT', 'OAUTH_RESPONSE_IS_NOT_CONFORM', 'OAUTH_RESPONSE_IS_NOT_JSON']);

function classifyLoginError(error: unknown): Verdict<never> {
  if (error instanceof oauth.AuthorizationResponseError) {
    return invalid(`the identity provider answered ${error.error}`);
  }
  if (error instanceof oauth.ResponseBodyError) {
    return error.status >= 500 ? unavailable(`the token endpoint answered ${error.status}`) : invalid(`the token endpoint refused the code: ${error.error}`);
  }
  if (isPortcullisError(error, 'PCL_IDP_DISCOVERY')) {
    return unavailable(error.message);
  }
  // fetch() rejects with a TypeError when the connection fails, with a DOMException on timeout.
  if (error instanceof TypeError || (error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError'))) {
    return unavailable(`the identity provider could not be reached: ${error.message}`);
  }
  if ((error instanceof oauth.OperationProcessingError || error instanceof oidc.ClientError) && OUTAGE_CODES.has(error.code ?? '')) {
    return unavailable(`the identity provider answered unexpectedly: ${error.message}`);
  }
  return invalid(error instanceof Error ? error.message : String(error));
}
