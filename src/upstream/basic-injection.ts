/**
 * The upstream app's own HTTP Basic credentials, taken from the user's attributes (in which
 * the IdP merged the group's attributes under the user's), as authentik's
 * "Send HTTP-Basic Authentication" option does.
 *
 * @see RFC 7617 §2 (user-id must not contain a colon; both parts UTF-8)
 */

import type { Identity } from '../auth/index.js';
import type { UpstreamBasicAuthConfig } from '../config/index.js';

export function upstreamBasicAuthorization(identity: Identity, config: UpstreamBasicAuthConfig): string | null {
  const username = stringAttribute(identity, config.usernameAttribute) ?? identity.email;
  const password = stringAttribute(identity, config.passwordAttribute) ?? '';
  // A colon in the user-id would shift the split point at the upstream; control characters
  // are not allowed in either part. Such a value is not sent rather than sent wrong.
  if (username === '' || username.includes(':') || /[\x00-\x1f\x7f]/.test(username + password)) {
    return null;
  }
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

function stringAttribute(identity: Identity, name: string): string | undefined {
  const value = Object.hasOwn(identity.attributes, name) ? identity.attributes[name] : undefined;
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
}
