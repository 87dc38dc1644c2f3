import type { DevGroup, DevUser, JsonObject, JsonValue } from '../types.js';

/**
 * Which claims each scope releases, after authentik's default scope mappings: `profile` carries
 * the name, username and groups, `ak_proxy` the merged attributes the proxy outpost reads.
 */
export const SCOPE_CLAIMS: Readonly<Record<string, readonly string[]>> = {
  openid: ['sub'],
  profile: ['name', 'given_name', 'preferred_username', 'nickname', 'groups', 'entitlements'],
  email: ['email', 'email_verified'],
  ak_proxy: ['ak_proxy'],
};

export const SUPPORTED_SCOPES = ['openid', 'profile', 'email', 'ak_proxy', 'offline_access'] as const;

/** Every claim the IdP knows about the user, before filtering by scope. */
export function userClaims(user: DevUser, groups: ReadonlyMap<string, DevGroup>): Record<string, JsonValue> {
  const memberOf = user.groups.map((name) => groups.get(name)).filter((g): g is DevGroup => g !== undefined);
  return {
    sub: user.uid,
    name: user.name,
    given_name: user.name,
    preferred_username: user.username,
    nickname: user.username,
    groups: [...user.groups],
    entitlements: [...user.entitlements],
    email: user.email,
    email_verified: user.email !== '',
    ak_proxy: {
      user_attributes: mergeAttributes([...memberOf.map((g) => g.attributes), user.attributes]),
      is_superuser: memberOf.some((g) => g.superuser),
    },
  };
}

export function filterByScope(claims: Readonly<Record<string, JsonValue>>, scopes: Iterable<string>): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const scope of scopes) {
    for (const name of SCOPE_CLAIMS[scope] ?? []) {
      const value = claims[name];
      if (value !== undefined) out[name] = value;
    }
  }
  return out;
}

/**
 * Later layers win; nested mappings merge key by key, anything else (lists included) is replaced.
 * Layers are groups in the user's order, then the user's own attributes.
 */
export function mergeAttributes(layers: readonly JsonObject[]): JsonObject {
  const out: Record<string, JsonValue> = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      const current = out[key];
      out[key] = isObject(current) && isObject(value) ? mergeAttributes([current, value]) : value;
    }
  }
  return out;
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
