import type { IncomingMessage, ServerResponse } from 'node:http';

import { authenticateClient } from './client-auth.js';
import type { EndpointDeps } from './deps.js';
import { readForm, sendError } from './io.js';
import { inspectAccessToken, inspectRefreshToken, looksLikeJwt } from './tokens.js';

/**
 * Token revocation (RFC 7009). Unknown or already-dead tokens still get 200 (§2.2). Revoking a
 * refresh token ends its grant, which also kills the grant's access tokens (§2.1).
 */
export async function handleRevocation(req: IncomingMessage, res: ServerResponse, deps: EndpointDeps): Promise<void> {
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
  const owner = await revoke(value, client.id, deps);
  if (owner === 'other') {
    sendError(res, 400, 'invalid_request', 'this token does not belong to you');
    return;
  }
  res.writeHead(200, { 'cache-control': 'no-store', 'content-length': 0 });
  res.end();
}

async function revoke(value: string, clientId: string, deps: EndpointDeps): Promise<'done' | 'other' | 'unknown'> {
  if (looksLikeJwt(value)) {
    const token = await inspectAccessToken(value, deps);
    if (token === undefined) return 'unknown';
    if (token.record.clientId !== clientId) return 'other';
    deps.ledger.revoke(token.record.jti);
    return 'done';
  }
  const refresh = await inspectRefreshToken(value, deps);
  if (refresh === undefined) return 'unknown';
  if (refresh.clientId !== clientId) return 'other';
  deps.ledger.revokeGrant(refresh.grantId);
  return 'done';
}
