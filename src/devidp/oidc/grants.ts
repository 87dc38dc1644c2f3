import type Provider from 'oidc-provider';
import type { Client, KoaContextWithOIDC } from 'oidc-provider';
import { errors } from 'oidc-provider';

import type { DevUser } from '../types.js';
import { SUPPORTED_SCOPES } from '../users/claims.js';
import type { CredentialKind, UserDirectory } from '../users/directory.js';
import { attachResourceServer } from './resource.js';

type GrantHandler = (ctx: KoaContextWithOIDC, next: () => Promise<void>) => Promise<void>;

const GRANT_PARAMS = ['username', 'password', 'scope'];

/**
 * authentik's dialect of client_credentials: the client authenticates as usual and names a user
 * with `username` and an app `password`; the tokens are about that user, not about the client.
 * Requests without username or password get `invalid_request` (there is no service account to
 * fall back to), bad credentials of any kind get the same `invalid_grant`.
 */
export function registerUserGrants(provider: Provider, directory: UserDirectory): void {
  provider.registerGrantType('client_credentials', userGrant(directory, ['app_password'], 'client_credentials'), GRANT_PARAMS);
  provider.registerGrantType('password', userGrant(directory, ['login', 'app_password'], 'password'), GRANT_PARAMS);
}

function userGrant(directory: UserDirectory, kinds: readonly CredentialKind[], gty: string): GrantHandler {
  return async (ctx, next) => {
    const params = ctx.oidc.params ?? {};
    const username = presented(ctx, 'username');
    const password = presented(ctx, 'password');
    if (username === undefined || password === undefined) {
      throw new errors.InvalidRequest('username and password are required for this grant');
    }
    const user = await directory.authenticate(username, password, kinds);
    // One error for unknown user, inactive user, wrong and revoked password: no enumeration.
    if (user === undefined) throw new errors.InvalidGrant('invalid user credentials');
    ctx.body = await issueTokens(ctx, user, requestedScopes(params['scope']), gty);
    await next();
  };
}

/**
 * oidc-provider drops empty parameters, but an empty password (Basic `alice:`) is a credential
 * that is wrong, not a parameter that is missing: it must get invalid_grant like any other.
 */
function presented(ctx: KoaContextWithOIDC, name: string): string | undefined {
  const value = ctx.oidc.params?.[name] ?? ctx.oidc.body?.[name];
  return typeof value === 'string' ? value : undefined;
}

async function issueTokens(ctx: KoaContextWithOIDC, user: DevUser, scopes: readonly string[], gty: string) {
  const { provider } = ctx.oidc;
  const client = ctx.oidc.client as Client;
  const scope = scopes.join(' ');
  // These tokens belong to no grant: there is no session or consent behind them to revoke.
  const at = new provider.AccessToken({ accountId: user.uid, client, gty, scope } as ConstructorParameters<typeof provider.AccessToken>[0]);
  attachResourceServer(provider, at, client.clientId);
  ctx.oidc.entity('AccessToken', at);
  const accessToken = await at.save();
  return {
    access_token: accessToken,
    token_type: 'Bearer',
    expires_in: at.expiration,
    scope: scope === '' ? undefined : scope,
    id_token: scopes.includes('openid') ? await idToken(ctx, user, scope, accessToken) : undefined,
  };
}

async function idToken(ctx: KoaContextWithOIDC, user: DevUser, scope: string, accessToken: string): Promise<string> {
  const { IdToken } = ctx.oidc.provider;
  const account = await ctx.oidc.provider.Account.findAccount(ctx, user.uid);
  if (account === undefined) throw new errors.InvalidGrant('invalid user credentials');
  const token = new IdToken({ ...(await account.claims('id_token', scope, {}, [])) }, { ctx });
  (token as unknown as { scope: string }).scope = scope;
  token.set('at_hash', accessToken);
  return token.issue({ use: 'idtoken' });
}

/** Unknown scopes are dropped rather than refused, as authentik does. */
function requestedScopes(value: unknown): string[] {
  const asked = typeof value === 'string' ? value.split(' ').filter((s) => s !== '') : [];
  return [...new Set(asked)].filter((s) => (SUPPORTED_SCOPES as readonly string[]).includes(s) && s !== 'offline_access');
}

