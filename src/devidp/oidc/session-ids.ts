import { createHash } from 'node:crypto';

import type { ProviderStore } from './adapter.js';

/**
 * The `sid` of a browser session. authentik's is the hex SHA-256 of the Django session key
 * (`hash_session_key`), one value per browser session for every application, and its
 * SESSION_END event names the same value. Here it is the hex SHA-256 of oidc-provider's
 * session `uid`: unlike the session id (the cookie value), the uid survives the identifier
 * reset at login, so every token of the session carries one value.
 */
export function sessionSid(sessionUid: string): string {
  return createHash('sha256').update(sessionUid, 'utf8').digest('hex');
}

/** The `sid` values issued to an account's live browser sessions, oldest session first. */
export function issuedSessionIds(store: ProviderStore, accountId: string): string[] {
  const sids = new Set<string>();
  for (const session of store.filterWhere('Session:', (payload) => payload.accountId === accountId)) {
    const authorizations = (session as { authorizations?: Record<string, { sid?: unknown }> }).authorizations ?? {};
    for (const authorization of Object.values(authorizations)) {
      if (typeof authorization.sid === 'string') sids.add(authorization.sid);
    }
  }
  return [...sids];
}
