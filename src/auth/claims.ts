/**
 * Turns verified token claims into an `Identity`, reading each field where
 * `identity.claims` says the IdP puts it (authentik: `preferred_username`, `groups`,
 * `ak_proxy.user_attributes`).
 */

import type { ClaimsConfig } from '../config/index.js';
import type { AuthMethod, Identity } from './identity.js';

export type Claims = Readonly<Record<string, unknown>>;

/** Reads a dotted path (`ak_proxy.user_attributes`) out of the claims. */
export function claimAt(claims: Claims, path: string): unknown {
  let value: unknown = claims;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, key)) {
      return undefined;
    }
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function stringAt(claims: Claims, path: string): string {
  const value = claimAt(claims, path);
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
}

function stringsAt(claims: Claims, path: string): readonly string[] {
  const value = claimAt(claims, path);
  if (typeof value === 'string') {
    return [value];
  }
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function objectAt(claims: Claims, path: string): Readonly<Record<string, unknown>> {
  const value = claimAt(claims, path);
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

export interface IdentityInput {
  readonly claims: Claims;
  readonly token: string;
  readonly method: AuthMethod;
  /** Epoch ms; the token's `exp` when it has one. */
  readonly expiresAt: number;
}

export function identityFromClaims(config: ClaimsConfig, input: IdentityInput): Identity {
  const { claims } = input;
  const sub = stringAt(claims, 'sub');
  return Object.freeze({
    sub,
    username: stringAt(claims, config.username) || sub,
    email: stringAt(claims, 'email'),
    name: stringAt(claims, 'name'),
    groups: Object.freeze([...stringsAt(claims, config.groups)]),
    entitlements: Object.freeze([...stringsAt(claims, config.entitlements)]),
    attributes: objectAt(claims, config.attributes),
    claims,
    token: input.token,
    expiresAt: input.expiresAt,
    method: input.method,
  });
}
