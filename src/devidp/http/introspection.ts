import type { IncomingMessage, ServerResponse } from 'node:http';

import { filterByScope } from '../users/claims.js';
import { authenticateClient } from './client-auth.js';
import type { EndpointDeps } from './deps.js';
import { readForm, sendError, sendJson } from './io.js';
import { inspectAccessToken, inspectRefreshToken, looksLikeJwt } from './tokens.js';

/**
 * Token introspection (RFC 7662). Any authenticated client may introspect any token; an
 * unknown, expired, revoked token or one whose user is deactivated is just `active: false`.
 */
export async function handleIntrospection(req: IncomingMessage, res: ServerResponse, deps: EndpointDeps): Promise<void> {
  if (req.method !== 'POST') {
    sendError(res, 405, 'invalid_request', 'use POST', { allow: 'POST' });
    return;
  }
  const form = await readForm(req);
  const client = authenticateClient(req, form, deps.clients);
  if (client === undefined) {
    sendError(res, 401, 'invalid_client', 'client authentication failed', { 'www-authenticate': `Basic realm="${deps.issuer}"` });
    return;
  }
  const value = form.get('token');
  if (value === undefined || value === '') {
    sendError(res, 400, 'invalid_request', 'missing required parameter "token"');
    return;
  }
  sendJson(res, 200, await describe(value, deps));
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
