import type { IncomingMessage, ServerResponse } from 'node:http';

import { filterByScope } from '../users/claims.js';
import type { EndpointDeps } from './deps.js';
import { BadRequest, readForm, sendError, sendJson } from './io.js';
import { inspectAccessToken } from './tokens.js';

/**
 * OpenID Connect UserInfo (Core §5.3). Served here rather than by oidc-provider, which refuses
 * access tokens that carry an audience, and every token of this IdP carries one (the client id).
 * Clients registered with `userinfoSignedResponseAlg` get a JWT signed with the IdP's key.
 */
export async function handleUserinfo(req: IncomingMessage, res: ServerResponse, deps: EndpointDeps): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'POST') {
    sendError(res, 405, 'invalid_request', 'use GET or POST', { allow: 'GET, POST' });
    return;
  }
  const challenge = (error?: string) => ({
    'www-authenticate': `Bearer realm="${deps.issuer}"${error === undefined ? '' : `, error="${error}"`}`,
  });
  const value = bearerToken(req.headers.authorization, await readForm(req));
  if (value === undefined) {
    sendError(res, 401, 'invalid_token', 'no access token provided', challenge());
    return;
  }
  const token = await inspectAccessToken(value, deps);
  if (token === undefined) {
    sendError(res, 401, 'invalid_token', 'invalid or expired access token', challenge('invalid_token'));
    return;
  }
  if (!token.scopes.includes('openid')) {
    sendError(res, 403, 'insufficient_scope', 'access token missing openid scope', challenge('insufficient_scope'));
    return;
  }
  const claims = { ...filterByScope(deps.directory.claims(token.user), token.scopes), sub: token.user.uid };
  const client = deps.clients.get(token.record.clientId);
  if (client?.userinfoSignedResponseAlg === undefined) {
    sendJson(res, 200, claims);
    return;
  }
  // Signed UserInfo (Core §5.3.2): iss and aud are required, so a response cannot be replayed to another client.
  const now = Math.floor(Date.now() / 1000);
  const jwt = await deps.keys.sign({ ...claims, iss: deps.issuer, aud: client.id, iat: now }, { typ: 'JWT' });
  res.writeHead(200, { 'content-type': 'application/jwt; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(jwt) });
  res.end(jwt);
}

/** RFC 6750 §2.1 header or §2.2 form parameter, never both (§2: "MUST NOT use more than one method"). */
function bearerToken(header: string | undefined, form: ReadonlyMap<string, string>): string | undefined {
  const fromForm = form.get('access_token');
  if (header === undefined) return fromForm;
  if (fromForm !== undefined) throw new BadRequest('access token must only be provided using one mechanism');
  const match = /^bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
  return match?.[1];
}
