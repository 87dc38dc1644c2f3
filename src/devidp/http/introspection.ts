import type { IncomingMessage, ServerResponse } from 'node:http';

import { filterByScope } from '../users/claims.js';
import type { EndpointDeps } from './deps.js';
import { sendJson } from './io.js';
import { readTokenRequest } from './token-request.js';
import { inspectAccessToken, inspectRefreshToken, looksLikeJwt } from './tokens.js';

/**
 * Token introspection (RFC 7662). Any authenticated client may introspect any token; an
 * unknown, expired, revoked token or one whose user is deactivated is just `active: false`.
 */
export async function handleIntrospection(req: IncomingMessage, res: ServerResponse, deps: EndpointDeps): Promise<void> {
  const request = await readTokenRequest(req, res, deps);
  if (request === undefined) {
    return;
  }
  sendJson(res, 200, await describe(request.token, deps));
}

async function describe(value: string, deps: EndpointDeps): Promise<Record<string, unknown>> {
  if (looksLikeJwt(value)) {
    const token = await inspectAccessToken(value, deps);
    if (token === undefined) return { active: false };
    const { payload, user, scopes } = token;
    return {
      ...filterByScope(deps.directory.claims(user), scopes),
      active: true,
      sub: user.uid,
      username: user.username,
      client_id: token.record.clientId,
      scope: payload['scope'],
      token_type: 'Bearer',
      exp: payload.exp,
      iat: payload.iat,
      iss: payload.iss,
      aud: payload.aud,
      jti: payload.jti,
    };
  }
  const refresh = await inspectRefreshToken(value, deps);
  if (refresh === undefined) return { active: false };
  return {
    active: true,
    sub: refresh.user.uid,
    username: refresh.user.username,
    client_id: refresh.clientId,
    // Says what the token is, so a refresh token offered as an access token can be told apart.
    token_type: 'refresh_token',
    scope: refresh.scope,
    exp: refresh.exp,
    iat: refresh.iat,
    iss: deps.issuer,
  };
}
