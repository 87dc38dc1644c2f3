import { jwtVerify } from 'jose';
import type { JWTPayload } from 'jose';

import type { IssuedToken } from '../oidc/ledger.js';
import type { DevUser } from '../types.js';
import type { EndpointDeps } from './deps.js';

export interface LiveAccessToken {
  readonly payload: JWTPayload;
  readonly record: IssuedToken;
  readonly user: DevUser;
  readonly scopes: readonly string[];
}

export interface LiveRefreshToken {
  readonly kind: 'refresh_token';
  readonly jti: string;
  readonly clientId: string;
  readonly grantId: string;
  readonly user: DevUser;
  readonly scope: string;
  readonly iat: number;
  readonly exp: number;
}

export function looksLikeJwt(value: string): boolean {
  return value.split('.').length === 3;
}

/**
 * A JWT access token is live when it verifies against the published keys, was issued here and
 * is still in the ledger (not revoked, grant not ended), and its user is still active.
 */
export async function inspectAccessToken(value: string, deps: EndpointDeps): Promise<LiveAccessToken | undefined> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(value, deps.keys.verifier, { issuer: deps.issuer, typ: 'at+jwt', algorithms: ['RS256'] }));
  } catch {
    return undefined;
  }
  const record = typeof payload.jti === 'string' ? deps.ledger.live(payload.jti) : undefined;
  if (record === undefined || record.sub !== payload.sub) return undefined;
  const user = deps.directory.activeByUid(record.sub);
  if (user === undefined) return undefined;
  const scopes = typeof payload['scope'] === 'string' ? payload['scope'].split(' ').filter((s) => s !== '') : [];
  return { payload, record, user, scopes };
}

/** Refresh tokens are opaque and stored by oidc-provider; live means unexpired, unused, grant alive, user active. */
export async function inspectRefreshToken(value: string, deps: EndpointDeps): Promise<LiveRefreshToken | undefined> {
  const token = await deps.provider().RefreshToken.find(value);
  if (token === undefined || !(token as unknown as { isValid: boolean }).isValid) return undefined;
  const grantId = token.grantId;
  if (typeof grantId !== 'string' || deps.store.get(`Grant:${grantId}`) === undefined) return undefined;
  const user = deps.directory.activeByUid(token.accountId);
  if (user === undefined || token.clientId === undefined) return undefined;
  return {
    kind: 'refresh_token',
    jti: token.jti,
    clientId: token.clientId,
    grantId,
    user,
    scope: token.scope ?? '',
    iat: token.iat,
    exp: token.exp ?? 0,
  };
}
