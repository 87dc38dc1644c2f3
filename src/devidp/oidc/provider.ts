import Provider from 'oidc-provider';
import type { Account, ClientMetadata, Configuration } from 'oidc-provider';

import type { DevClient, UsersFile } from '../types.js';
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
    clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
    jwks: deps.keys.privateJwks() as Configuration['jwks'],
    cookies: { keys: [...deps.cookieKeys] },
    routes: { ...ROUTES },
    scopes: [...SUPPORTED_SCOPES],
    claims: Object.fromEntries(Object.entries(SCOPE_CLAIMS).map(([scope, names]) => [scope, [...names]])),
    // Every scope's claims go into the ID token too, as authentik does, not only to userinfo.
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    pkce: { methods: ['S256'], required: () => true },
    findAccount: (_ctx, sub) => account(directory, sub),
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
  return {
    client_id: client.id,
    client_secret: client.secret,
    redirect_uris: [...client.redirectUris],
    post_logout_redirect_uris: [...client.postLogoutRedirectUris],
    // With the session's sid in the logout token, as in the ID tokens it ends (see buildProvider).
    ...(client.backchannelLogoutUri === '' ? {} : { backchannel_logout_uri: client.backchannelLogoutUri, backchannel_logout_session_required: true }),
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials', 'password'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  };
}

function account(directory: UserDirectory, sub: string): Account | undefined {
  // An inactive user is unknown to oidc-provider: code exchange and refresh fail with invalid_grant.
  const user = directory.activeByUid(sub);
  if (user === undefined) return undefined;
  return { accountId: sub, claims: () => ({ ...directory.claims(user), sub }) };
}

