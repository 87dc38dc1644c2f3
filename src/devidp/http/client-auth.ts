import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

import type { DevClient, DevClientAuthMethod } from '../types.js';
import { BadRequest } from './io.js';

/**
 * Authenticates the calling client with client_secret_basic or client_secret_post
 * (RFC 6749 §2.3.1) for the endpoints the IdP serves itself, when the IdP takes that method
 * (`clientAuthMethods`, as its token endpoint does). Returns undefined for an unknown client, a
 * wrong secret, a method the IdP does not take or a client without a secret method; throws
 * BadRequest for malformed or doubled credentials.
 */
export function authenticateClient(
  req: IncomingMessage,
  form: ReadonlyMap<string, string>,
  clients: ReadonlyMap<string, DevClient>,
  methods: readonly DevClientAuthMethod[],
): DevClient | undefined {
  const presented = presentedCredentials(req.headers.authorization, form);
  if (!methods.includes(presented.method)) return undefined;
  const client = clients.get(presented.id);
  const registered = client?.tokenEndpointAuthMethod ?? 'client_secret_basic';
  if (registered !== 'client_secret_basic' && registered !== 'client_secret_post') return undefined;
  // Compare digests so the comparison takes the same time whatever the secret's length.
  return client !== undefined && sameSecret(client.secret, presented.secret) ? client : undefined;
}

interface Presented {
  readonly method: 'client_secret_basic' | 'client_secret_post';
  readonly id: string;
  readonly secret: string;
}

function presentedCredentials(header: string | undefined, form: ReadonlyMap<string, string>): Presented {
  const bodyId = form.get('client_id');
  const bodySecret = form.get('client_secret');
  if (header === undefined) {
    if (bodyId === undefined || bodySecret === undefined) throw new BadRequest('client authentication is required');
    return { method: 'client_secret_post', id: bodyId, secret: bodySecret };
  }
  if (bodySecret !== undefined) throw new BadRequest('client authentication must only be provided using one mechanism');
  const match = /^basic ([A-Za-z0-9+/]+={0,2})$/i.exec(header.trim());
  const decoded = match?.[1] === undefined ? '' : Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new BadRequest('invalid authorization header value format');
  const id = formDecode(decoded.slice(0, colon));
  if (bodyId !== undefined && bodyId !== id) throw new BadRequest('mismatch in body and authorization client ids');
  return { method: 'client_secret_basic', id, secret: formDecode(decoded.slice(colon + 1)) };
}

/** Basic credentials of OAuth clients are form-urlencoded before base64 (RFC 6749 §2.3.1). */
function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, '%20'));
  } catch {
    throw new BadRequest('client credentials are not properly encoded');
  }
}

function sameSecret(expected: string, actual: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(expected), digest(actual));
}
