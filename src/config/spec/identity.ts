/**
 * The `identity` block: top-level defaults for every application, overridable per application
 * key by key (deep: an application may override only `bearer.audiences`).
 */

import type { IdentityConfig } from '../types.js';
import { list } from '../schema/collections.js';
import { leaf, parseValue } from '../schema/core.js';
import type { Schema } from '../schema/core.js';
import { field, object } from '../schema/object.js';
import { mergeLayers } from '../schema/merge.js';
import { httpUrl } from '../schema/network.js';
import { ROOT } from '../schema/path.js';
import { isPlainObject } from '../schema/plain.js';
import { INVALID, show } from '../schema/problems.js';
import { enumOf, string } from '../schema/scalars.js';

export const JWS_ALGORITHMS: readonly string[] = [
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'HS256', 'HS384', 'HS512',
];

/** @see RFC 7518 §3.1, RFC 8037 §3.1 */
const algorithm = leaf<string>('JWS algorithm', (value, fail) => {
  // An unsigned token would let anyone mint identities.
  if (typeof value === 'string' && value.toLowerCase() === 'none') return fail('"none" is never accepted (unsigned tokens)');
  if (typeof value !== 'string' || !JWS_ALGORITHMS.includes(value)) {
    return fail(`expected a JWS algorithm (${JWS_ALGORITHMS.join(', ')}), got ${show(value)}`);
  }
  return value;
});

/** @see RFC 6749 §3.3 scope-token */
const scope = string({ type: 'scope', pattern: { re: /^[\x21\x23-\x5b\x5d-\x7e]+$/, expected: 'an OAuth scope' } });

const claimPath = string({
  type: 'claim path',
  pattern: { re: /^[^.\s]+(?:\.[^.\s]+)*$/, expected: 'a claim name or dotted path such as "ak_proxy.user_attributes"' },
});

const bearer = object({
  validation: field(enumOf(['jwt', 'introspection', 'jwt+introspection']), {
    default: 'jwt',
    description: 'How Bearer tokens are checked: `jwt` (signature against the JWKS, locally), `introspection` (RFC 7662) or both.',
  }),
  audiences: field(list(string({ nonEmpty: true })), {
    default: [],
    description: 'Accepted `aud` values; empty means `[clientId]`.',
  }),
  algorithms: field(list(algorithm), {
    default: [],
    description: 'Accepted JWS algorithms; empty means those the IdP advertises. Never `none`; `HS*` only with a clientSecret.',
  }),
});

const claims = object({
  username: field(claimPath, { default: 'preferred_username', description: 'Claim holding the username.' }),
  groups: field(claimPath, { default: 'groups', description: 'Claim holding the list of group names.' }),
  entitlements: field(claimPath, { default: 'entitlements', description: 'Claim holding the list of entitlements.' }),
  attributes: field(claimPath, {
    default: 'ak_proxy.user_attributes',
    description: 'Dotted path to the user attributes (used by upstreamBasicAuth).',
  }),
});

export const identity = object(
  {
    issuer: field(httpUrl({ form: 'exact', httpsUnlessLoopback: true }), {
      required: true,
      description:
        'OpenID Connect issuer URL, exactly as the IdP writes `iss`; https unless the host is loopback. Here or in every application.',
    }),
    clientId: field(string({ nonEmpty: true }), {
      required: true,
      description: 'OAuth client id of this outpost at the IdP. Here or in every application.',
    }),
    clientSecret: field(string({ secret: true }), {
      default: '',
      description: 'OAuth client secret; empty for a public client. Never shown in messages.',
    }),
    scopes: field(
      list(scope, {
        check(items, at, ctx) {
          if (!items.includes('openid')) ctx.problems.add(at, 'must include "openid"');
        },
      }),
      { default: ['openid', 'profile', 'email', 'ak_proxy'], description: 'Scopes requested at login; must include `openid`.' },
    ),
    basicGrant: field(enumOf(['client_credentials', 'password']), {
      default: 'client_credentials',
      description: 'Grant used to check Basic credentials: `client_credentials` (authentik: username + app password) or `password`.',
    }),
    bearer: field(bearer, { default: {}, description: 'Bearer token validation.' }),
    claims: field(claims, { default: {}, description: 'Where identity fields are found in token claims.' }),
  },
  {
    check(value, at, ctx) {
      if (value.clientSecret !== '' || value.bearer === INVALID) return;
      value.bearer.algorithms.forEach((alg, i) => {
        // HMAC algorithms are keyed by the client secret; without one any key would do.
        if (alg.startsWith('HS')) {
          ctx.problems.add(at.key('bearer').key('algorithms').index(i), `${alg} needs a non-empty clientSecret (the HMAC key)`);
        }
      });
    },
  },
);

const IDENTITY_PATH = ROOT.key('identity');

/**
 * The top-level `identity` block: every key it holds is checked, but nothing is required of it
 * alone (applications may supply `issuer` and `clientId` themselves).
 */
export const identityDefaults: Schema<unknown> = {
  type: 'mapping',
  fields: identity.fields,
  parse(value, at, ctx) {
    if (!isPlainObject(value)) return identity.parse(value, at, ctx);
    const result = identity.parse(value, at, { ...ctx, partial: true });
    return result === INVALID ? INVALID : value;
  },
};

/**
 * An application's `identity` block, resolved: the top-level block with the application's keys
 * laid over it, then checked as a whole. A problem is reported where the offending value was
 * written, or at `identity.<key>` when nobody wrote it.
 */
export const identityOverrides: Schema<IdentityConfig> = {
  type: 'mapping (overrides of any `identity` key)',
  parse(value, at, ctx) {
    if (!isPlainObject(value)) return identity.parse(value, at, ctx);
    const top = isPlainObject(ctx.root) ? ctx.root['identity'] : undefined;
    // A malformed top-level block is reported at `identity`; do not blame each application for it.
    if (top !== undefined && !isPlainObject(top)) return INVALID;
    const layers = [{ raw: top ?? {}, path: IDENTITY_PATH }, { raw: value, path: at }];
    const merged = mergeLayers(layers, IDENTITY_PATH);
    return parseValue(identity, merged.value, merged.path, ctx);
  },
};
