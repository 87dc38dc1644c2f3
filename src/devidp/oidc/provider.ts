import Provider from 'oidc-provider';
import type { Account, ClientMetadata, Configuration } from 'oidc-provider';

import type { DevClient, DevClientAuthMethod, UsersFile } from '../types.js';
import { filterByScope, SCOPE_CLAIMS, SUPPORTED_SCOPES } from '../users/claims.js';
import type { UserDirectory } from '../users/directory.js';
import type { ProviderStore } from './adapter.js';
import { loadConsentedGrant } from './consent.js';
import { registerUserGrants } from './grants.js';
import type { KeyRing } from './keys.js';
import type { TokenLedger } from './ledger.js';
import { renderError, renderLogoutConfirm, renderLogoutSuccess } from './pages.js';
import { resourceIndicatorFor, resourceServerInfo } from './resource.js';
import { INTERACTION_PREFIX, ROUTES } from './routes.js';

export interface ProviderTtl {
  readonly accessToken: number;
  readonly idToken: number;
  readonly refreshToken: number;
}

export interface ProviderDeps {
  readonly issuer: string;
  /** Path of the issuer URL without trailing slash ('' for an origin-only issuer). */
  readonly mountPath: string;
  readonly file: UsersFile;
  readonly directory: UserDirectory;
  readonly keys: KeyRing;
  readonly store: ProviderStore;
  readonly ledger: TokenLedger;
  /** Signs oidc-provider's cookies; kept across rebuilds so sessions survive a key rotation. */
  readonly cookieKeys: readonly string[];
  readonly ttl: ProviderTtl;
  /** ID tokens without the scope claims (they stay in UserInfo and access tokens). */
  readonly leanIdTokens: boolean;
  readonly clientAuthMethods: readonly DevClientAuthMethod[];
}

/** Builds an oidc-provider instance; called again with the same deps (new keys) on rotation. */
export function buildProvider(deps: ProviderDeps): Provider {
  const provider = new Provider(deps.issuer, configuration(deps));
  registerUserGrants(provider, deps.directory);
  // oidc-provider puts `sid` into codes (and so ID tokens) only for clients that take back-channel
  // logout with `backchannel_logout_session_required`; authentik puts it into every token, and
  // the outpost's SESSION_END handling matches sessions by it. Each Provider has its own Client class.
  (provider.Client.prototype as { includeSid: () => boolean }).includeSid = () => true;
  return provider;
}

function configuration(deps: ProviderDeps): Configuration {
  const { directory, ttl } = deps;
  return {
    adapter: (name: string) => deps.store.adapterFor(name),
    clients: deps.file.clients.map(clientMetadata),
    clientAuthMethods: [...deps.clientAuthMethods],
    jwks: deps.keys.privateJwks() as Configuration['jwks'],
    cookies: { keys: [...deps.cookieKeys] },
    routes: { ...ROUTES },
    scopes: [...SUPPORTED_SCOPES],
    claims: Object.fromEntries(Object.entries(SCOPE_CLAIMS).map(([scope, names]) => [scope, [...names]])),
    // Every scope's claims go into the ID token too, as authentik does, not only to userinfo.
    // (Lean ID tokens are made in `account`: oidc-provider's conformIdTokenClaims does not apply
    // when the access token has an audience, and every access token here has one.)
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    pkce: { methods: ['S256'], required: () => true },
    findAccount: (_ctx, sub) => account(directory, sub, deps.leanIdTokens),
    loadExistingGrant: loadConsentedGrant,
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    ttl: {
      AccessToken: ttl.accessToken,
      IdToken: ttl.idToken,
      RefreshToken: ttl.refreshToken,
      Grant: ttl.refreshToken,
      Session: ttl.refreshToken,
      Interaction: 3600,
    },
    extraTokenClaims: (_ctx, token) => {
      const user = 'accountId' in token ? directory.activeByUid(token.accountId) : undefined;
      if (user === undefined) return undefined;
      const { sub: _sub, ...claims } = filterByScope(directory.claims(user), token.scopes);
      return claims;
    },
    formats: {
      customizers: {
        jwt: (_ctx, token, jwt) => {
          const { payload } = jwt;
          // authentik puts the client in `azp`; relying parties checking it get what they expect.
          payload['azp'] = token.clientId;
          // authentik's access tokens carry the session's sid too (code flow and refresh only).
          if ('sid' in token && typeof token.sid === 'string') payload['sid'] = token.sid;
          deps.ledger.record({
            jti: String(payload['jti']),
            sub: String(payload['sub']),
            clientId: String(token.clientId),
            ...('grantId' in token && typeof token.grantId === 'string' ? { grantId: token.grantId } : {}),
            exp: Number(payload['exp']),
          });
          return jwt;
        },
      },
    },
    interactions: { url: (_ctx, interaction) => `${deps.mountPath}${INTERACTION_PREFIX}${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      // Not part of authentik's dialect; off so every endpoint the IdP has is counted and faultable.
      pushedAuthorizationRequests: { enabled: false },
      introspection: { enabled: true },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      // For `userinfo_signed_response_alg` client metadata and its discovery entry; the IdP serves UserInfo itself.
      jwtUserinfo: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: { enabled: true, logoutSource: renderLogoutConfirm, postLogoutSuccessSource: renderLogoutSuccess },
      resourceIndicators: {
        enabled: true,
        defaultResource: (_ctx, client) => resourceIndicatorFor(client.clientId),
        getResourceServerInfo: (_ctx, resource, client) => resourceServerInfo(resource, client.clientId),
        // Always mint the JWT for the granted resource, also when `openid` would allow an opaque userinfo token.
        useGrantedResource: () => true,
      },
    },
    renderError,
  };
}

function clientMetadata(client: DevClient): ClientMetadata {
  const method = client.tokenEndpointAuthMethod ?? 'client_secret_basic';
  const usesSecret = method === 'client_secret_basic' || method === 'client_secret_post';
  return {
    client_id: client.id,
    ...(usesSecret ? { client_secret: client.secret } : {}),
    redirect_uris: [...client.redirectUris],
    post_logout_redirect_uris: postLogoutRedirectUris(client),
    // With the session's sid in the logout token, as in the ID tokens it ends (see buildProvider).
    ...(client.backchannelLogoutUri === '' ? {} : { backchannel_logout_uri: client.backchannelLogoutUri, backchannel_logout_session_required: true }),
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials', 'password'],
    response_types: ['code'],
    token_endpoint_auth_method: method,
    ...(client.jwks === undefined ? {} : { jwks: client.jwks as unknown as ClientMetadata['jwks'] }),
    ...(client.userinfoSignedResponseAlg === undefined ? {} : { userinfo_signed_response_alg: client.userinfoSignedResponseAlg }),
  };
}

/**
 * The listed URIs, plus the root of every redirect URI's origin: a relying party's default
 * `post_logout_redirect_uri` (Portcullis: the application's root), so tests and the demo on
 * ephemeral ports need not register it twice.
 */
function postLogoutRedirectUris(client: DevClient): string[] {
  const roots = client.redirectUris.map((uri) => `${new URL(uri).origin}/`);
  return [...new Set([...client.postLogoutRedirectUris, ...roots])];
}

function account(directory: UserDirectory, sub: string, leanIdTokens: boolean): Account | undefined {
  // An inactive user is unknown to oidc-provider: code exchange and refresh fail with invalid_grant.
  const user = directory.activeByUid(sub);
  if (user === undefined) return undefined;
  // Lean ID tokens (OpenID Connect Core §5.4): the subject only; the profile is UserInfo's. This
  // covers every ID token, the code flow's, refresh's and the password grants' alike.
  return { accountId: sub, claims: (use) => (leanIdTokens && use === 'id_token' ? { sub } : { ...directory.claims(user), sub }) };
}

