/**
 * The browser login flow with openid-client: authorization code with PKCE (S256), state and
 * nonce; the code exchange with every ID-token check (oauth4webapi's issuer, audience, nonce and
 * expiry, and the signature against the IdP's key cache); claims completed from UserInfo when
 * the ID token lacks them; refresh; RP-initiated logout.
 *
 * @see OpenID Connect Core 1.0 §3.1, §5.3, §12; RFC 7636 (PKCE); RFC 9207 (issuer in the response);
 *   OpenID Connect RP-Initiated Logout 1.0
 */

import { decodeJwt } from 'jose';
import * as oauth from 'oauth4webapi';
import * as oidc from 'openid-client';
import { verifyIdTokenSignature } from './id-token.js';
import type { IdentityProvider } from './provider.js';
import { isPortcullisError, messageOf } from '../errors/index.js';
import { completeClaims, type Claims } from './userinfo.js';
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
  /** The validated ID token's claims, completed from UserInfo where `identity.userinfo` says so. */
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
    const auth = await provider.clientAuthentication();
    const params = oauth.validateAuthResponse(as, client, callbackParams, secrets.state);
    const response = await oauth.authorizationCodeGrantRequest(as, client, auth, params, redirectUri, secrets.codeVerifier, {
      signal: AbortSignal.timeout(provider.timeoutMs),
      [oauth.customFetch]: provider.fetch,
      // Plain-http IdPs are only accepted on loopback or when allowed loudly (config validation).
      [oauth.allowInsecureRequests]: provider.insecureRequests,
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
    const completed = await completeClaims(provider, claims as unknown as Claims, result.access_token);
    if (!completed.ok) {
      return completed;
    }
    return {
      ok: true,
      value: {
        accessToken: result.access_token,
        idToken: result.id_token,
        refreshToken: result.refresh_token,
        expiresAt: now + (result.expires_in ?? 300) * 1000,
        claims: completed.value,
      },
    };
  } catch (error) {
    return classifyLoginError(error);
  }
}

/**
 * Renews the tokens. A refresh that brings no ID token keeps the previous one (Core §12.2); the
 * claims are then the previous ID token's, completed from UserInfo with the new access token when
 * `identity.userinfo` asks for it (fresh groups). Empty claims mean: the session keeps its own
 * (no new ID token and no UserInfo, or UserInfo unavailable).
 */
export async function refreshTokens(provider: IdentityProvider, refreshToken: string, now: number, previousIdToken: string): Promise<Verdict<LoginTokens>> {
  let response;
  try {
    response = await oidc.refreshTokenGrant(await provider.configuration(), refreshToken);
  } catch (error) {
    return classifyLoginError(error);
  }
  if (response.id_token !== undefined) {
    const signature = await verifyIdTokenSignature(provider, response.id_token);
    if (!signature.ok) {
      return signature;
    }
  }
  const idToken = response.id_token ?? previousIdToken;
  const fresh = response.claims() as Claims | undefined;
  // The previous ID token was verified when the session was made; it is read, not checked anew.
  const previous = previousClaims(previousIdToken);
  if (fresh !== undefined && previous !== undefined && fresh.sub !== previous.sub) {
    // OpenID Connect Core §12.2: a refreshed ID token is about the same user, or it ends the session.
    return invalid('the refreshed ID token names another subject');
  }
  const base = fresh ?? previous;
  let claims: Claims = {};
  if (base !== undefined) {
    const completed = await completeClaims(provider, base, response.access_token);
    if (!completed.ok && completed.kind === 'invalid') {
      return completed;
    }
    // UserInfo unavailable: the new tokens are already spent at the IdP (refresh tokens rotate),
    // so they are kept, with the session's claims as they were rather than half of them.
    claims = !completed.ok || (fresh === undefined && completed.value === base) ? {} : completed.value;
  }
  return {
    ok: true,
    value: {
      accessToken: response.access_token,
      idToken,
      refreshToken: response.refresh_token,
      expiresAt: now + (response.expiresIn() ?? 300) * 1000,
      claims,
    },
  };
}

function previousClaims(idToken: string): Claims | undefined {
  try {
    return idToken === '' ? undefined : (decodeJwt(idToken) as Claims);
  } catch {
    return undefined;
  }
}

/** What RP-initiated logout sends besides the endpoint. */
export interface EndSessionRequest {
  /** The session's ID token; undefined when the session is unknown. */
  readonly idTokenHint: string | undefined;
  /** Where the IdP should send the browser afterwards; null sends none. */
  readonly postLogoutRedirectUri: string | null;
}

/**
 * The IdP's end-session URL, or null when it has none. `client_id` goes along always: with
 * `post_logout_redirect_uri` and no hint, it is how the IdP knows whose registered URIs to check.
 * @see OpenID Connect RP-Initiated Logout 1.0 §2
 */
export function endSessionUrl(configuration: oidc.Configuration, request: EndSessionRequest): URL | null {
  if (configuration.serverMetadata().end_session_endpoint === undefined) {
    return null;
  }
  const parameters: Record<string, string> = { client_id: configuration.clientMetadata().client_id };
  if (request.idTokenHint !== undefined) {
    parameters['id_token_hint'] = request.idTokenHint;
  }
  if (request.postLogoutRedirectUri !== null) {
    parameters['post_logout_redirect_uri'] = request.postLogoutRedirectUri;
  }
  return oidc.buildEndSessionUrl(configuration, parameters);
}

// Codes for an IdP that did not answer properly, as opposed to an answer that failed a
// check (state, nonce, ID token claims…).
const OUTAGE_CODES = new Set(['OAUTH_TIMEOUT', 'OAUTH_ABORT', 'OAUTH_RESPONSE_IS_NOT_CONFORM', 'OAUTH_RESPONSE_IS_NOT_JSON', 'OAUTH_PARSE_ERROR']);
// Token-endpoint errors about this client, not the user's grant (RFC 6749 §5.2): configuration.
const CLIENT_PROBLEMS = new Set(['invalid_client', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope']);

/**
 * What a failed code exchange or refresh says: `invalid` when the grant itself was refused or
 * the answer failed a check (state, nonce, ID token claims); `unavailable` when the IdP did not
 * answer properly or refused this client (a configuration problem): never the user's fault.
 */
function classifyLoginError(error: unknown): Verdict<never> {
  if (error instanceof oauth.AuthorizationResponseError) {
    return invalid(`the identity provider answered ${error.error}`);
  }
  if (error instanceof oauth.WWWAuthenticateChallengeError) {
    return unavailable(`the token endpoint refused this client's authentication (${error.status})`);
  }
  if (error instanceof oauth.ResponseBodyError) {
    if (error.status >= 500 || CLIENT_PROBLEMS.has(error.error)) {
      return unavailable(`the token endpoint answered ${error.status} ${error.error}`);
    }
    return invalid(`the token endpoint refused the grant: ${error.error}`);
  }
  if (isPortcullisError(error, 'PCL_IDP_DISCOVERY')) {
    return unavailable(error.message);
  }
  // fetch() rejects with a TypeError when the connection fails, with a DOMException on timeout;
  // a body that stalls surfaces as a parse error caused by one of those.
  if (isTransportFailure(error) || (error instanceof Error && isTransportFailure(error.cause))) {
    return unavailable(`the identity provider could not be reached: ${(error as Error).message}`);
  }
  if ((error instanceof oauth.OperationProcessingError || error instanceof oidc.ClientError) && OUTAGE_CODES.has(error.code ?? '')) {
    return unavailable(`the identity provider answered unexpectedly: ${error.message}`);
  }
  return invalid(messageOf(error));
}

function isTransportFailure(error: unknown): boolean {
  return error instanceof TypeError || (error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError'));
}
