import type { IncomingMessage, ServerResponse } from 'node:http';

import type { DevClient } from '../types.js';
import { authenticateClient } from './client-auth.js';
import type { EndpointDeps } from './deps.js';
import { readForm, sendError } from './io.js';

/**
 * The request shape introspection (RFC 7662 §2.1) and revocation (RFC 7009 §2.1) share: a POST
 * by an authenticated client carrying a `token`. Answers the error itself and resolves undefined
 * when the request is not one.
 */
export async function readTokenRequest(
  req: IncomingMessage,
  res: ServerResponse,
  deps: EndpointDeps,
): Promise<{ readonly client: DevClient; readonly token: string } | undefined> {
  if (req.method !== 'POST') {
    sendError(res, 405, 'invalid_request', 'use POST', { allow: 'POST' });
    return undefined;
  }
  const form = await readForm(req);
  const client = authenticateClient(req, form, deps.clients, deps.clientAuthMethods);
  if (client === undefined) {
    sendError(res, 401, 'invalid_client', 'client authentication failed', { 'www-authenticate': `Basic realm="${deps.issuer}"` });
    return undefined;
  }
  const token = form.get('token');
  if (token === undefined || token === '') {
    sendError(res, 400, 'invalid_request', 'missing required parameter "token"');
    return undefined;
  }
  return { client, token };
}
