/**
 * Identity ⇄ session record. The session keeps what the identity headers and policies need,
 * plus the tokens; an identity read back from a session says it came from the session.
 */

import type { JsonValue, NewSession, SessionData, SessionRecord } from '../sessions/index.js';
import type { Identity } from './identity.js';

export interface SessionTokens {
  readonly idToken?: string;
  readonly refreshToken?: string;
}

export function sessionFromIdentity(application: string, identity: Identity, lifetimeMs: number, now: number, tokens: SessionTokens = {}): NewSession {
  const data: SessionData = {
    username: identity.username,
    email: identity.email,
    name: identity.name,
    groups: identity.groups,
    entitlements: identity.entitlements,
    attributes: jsonObject(identity.attributes),
    claims: jsonObject(identity.claims),
    accessToken: identity.token,
    ...(tokens.idToken === undefined ? {} : { idToken: tokens.idToken }),
    ...(tokens.refreshToken === undefined ? {} : { refreshToken: tokens.refreshToken }),
    tokenExpiresAt: identity.expiresAt,
    method: identity.method,
  };
  return {
    application,
    sub: identity.sub,
    identity: data,
    // A session never outlives its token unless it can be refreshed (DESIGN.md §6); with a
    // refresh token it lives up to `sessions.lifetime` and its token is renewed on the way.
    expiresAt: tokens.refreshToken === undefined ? Math.min(identity.expiresAt, now + lifetimeMs) : now + lifetimeMs,
  };
}

/**
 * The identity a session record carries. Records are immutable (an update stores a new one),
 * and the memory store hands back the same record on every request of a session, so the
 * identity is built once per record: the identity headers, memoized per identity, follow.
 */
export function identityFromSession(record: SessionRecord): Identity {
  let identity = identities.get(record);
  if (identity === undefined) {
    identity = buildIdentity(record);
    identities.set(record, identity);
  }
  return identity;
}

const identities = new WeakMap<SessionRecord, Identity>();

function buildIdentity(record: SessionRecord): Identity {
  const data = record.identity;
  return Object.freeze({
    sub: record.sub,
    username: data.username,
    email: data.email,
    name: data.name,
    groups: data.groups,
    entitlements: data.entitlements,
    attributes: data.attributes,
    claims: data.claims,
    token: data.accessToken,
    expiresAt: Math.min(record.expiresAt, data.tokenExpiresAt),
    method: 'session',
  });
}

/** Claims come from JSON (a JWT or an introspection response); this keeps the type honest. */
function jsonObject(value: Readonly<Record<string, unknown>>): Readonly<Record<string, JsonValue>> {
  return JSON.parse(JSON.stringify(value)) as Record<string, JsonValue>;
}
