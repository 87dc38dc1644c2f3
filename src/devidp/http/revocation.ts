import type { IncomingMessage, ServerResponse } from 'node:http';

import type { EndpointDeps } from './deps.js';
import { sendError } from './io.js';
import { readTokenRequest } from './token-request.js';
import { inspectAccessToken, inspectRefreshToken, looksLikeJwt } from './tokens.js';

/**
 * Token revocation (RFC 7009). Unknown or already-dead tokens still get 200 (§2.2). Revoking a
 * refresh token ends its grant, which also kills the grant's access tokens (§2.1).
 */
export async function handleRevocation(req: IncomingMessage, res: ServerResponse, deps: EndpointDeps): Promise<void> {
  const request = await readTokenRequest(req, res, deps);
  if (request === undefined) {
    return;
  }
  const owner = await revoke(request.token, request.client.id, deps);
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
