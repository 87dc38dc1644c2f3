/**
 * The `X-authentik-*` identity headers an upstream (or a forward-auth proxy) receives,
 * named and shaped as authentik's outpost sends them so that apps configured for authentik
 * work unchanged.
 */

import type { Identity } from '../auth/index.js';
import { headerSafe } from './header-value.js';

export interface OutpostMeta {
  readonly application: string;
  readonly outpost: string;
  readonly provider: string;
  readonly jwks: string;
  readonly version: string;
}

export const IDENTITY_HEADER_NAMES = [
  'x-authentik-username',
  'x-authentik-groups',
  'x-authentik-entitlements',
  'x-authentik-email',
  'x-authentik-name',
  'x-authentik-uid',
  'x-authentik-jwt',
  'x-authentik-meta-app',
  'x-authentik-meta-outpost',
  'x-authentik-meta-provider',
  'x-authentik-meta-jwks',
  'x-authentik-meta-version',
] as const;

export type IdentityHeaderName = (typeof IDENTITY_HEADER_NAMES)[number];

/** Header lines as name/value pairs, in the order they are sent. */
export type HeaderEntries = readonly (readonly [string, string])[];

/**
 * The identity headers as entries, computed once per identity and outpost. An identity is
 * immutable and is reused for as long as its session or cached credential lives, so every
 * request after the first gets the same entries; a new identity (a refresh, another user)
 * is a new key. Held weakly: the memo never outlives the identity it describes.
 */
export function identityHeaderEntries(identity: Identity, meta: OutpostMeta): HeaderEntries {
  const memo = memos.get(identity);
  // `meta.jwks` is known once discovery has run (a session restored from Redis may be served
  // before that); a memo made without it is not reused after.
  if (memo !== undefined && memo.meta === meta && memo.jwks === meta.jwks) {
    return memo.entries;
  }
  const entries = Object.freeze(Object.entries(identityHeaders(identity, meta)).map((entry) => Object.freeze(entry)));
  memos.set(identity, { meta, jwks: meta.jwks, entries });
  return entries;
}

const memos = new WeakMap<Identity, { readonly meta: OutpostMeta; readonly jwks: string; readonly entries: HeaderEntries }>();

export function identityHeaders(identity: Identity, meta: OutpostMeta): Record<IdentityHeaderName, string> {
  return {
    'x-authentik-username': headerSafe(identity.username),
    // `|` separates groups; one inside a group name is encoded so it cannot forge a second group.
    'x-authentik-groups': identity.groups.map((group) => headerSafe(group, '|')).join('|'),
    'x-authentik-entitlements': identity.entitlements.map((entitlement) => headerSafe(entitlement, '|')).join('|'),
    'x-authentik-email': headerSafe(identity.email),
    'x-authentik-name': headerSafe(identity.name),
    'x-authentik-uid': headerSafe(identity.sub),
    'x-authentik-jwt': headerSafe(identity.token),
    'x-authentik-meta-app': headerSafe(meta.application),
    'x-authentik-meta-outpost': headerSafe(meta.outpost),
    'x-authentik-meta-provider': headerSafe(meta.provider),
    'x-authentik-meta-jwks': headerSafe(meta.jwks),
    'x-authentik-meta-version': headerSafe(meta.version),
  };
}
