/**
 * The `identity` block: top-level defaults for every application, overridable per application
 * key by key (deep: an application may override only `bearer.audiences`).
 */

import { isAbsolute } from 'node:path';
import type { IdentityConfig } from '../types.js';
import { list } from '../schema/collections.js';
import { leaf, parseValue } from '../schema/core.js';
import type { Schema } from '../schema/core.js';
import { field, object, type Partly } from '../schema/object.js';
import { mergeLayers } from '../schema/merge.js';
import { isLoopbackHostname } from '../schema/ip.js';
import { httpUrl } from '../schema/network.js';
import { ROOT, type Path } from '../schema/path.js';
import { isPlainObject } from '../schema/plain.js';
import { INVALID, show, type Context } from '../schema/problems.js';
import { boolean, enumOf, string } from '../schema/scalars.js';

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

export const CLIENT_AUTH_METHODS = ['auto', 'client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'] as const;

/** Read at start-up, long after this file's folder is known: relative paths would be ambiguous. */
const absoluteFile = leaf<string>('absolute file path', (value, fail) => {
  if (typeof value !== 'string') return fail(`expected an absolute file path, got ${show(value)}`);
  if (value !== '' && !isAbsolute(value)) return fail(`expected an absolute file path, got ${show(value)}`);
  return value;
});

/** @see OpenID Connect RP-Initiated Logout 1.0 §2 (`post_logout_redirect_uri`, registered at the IdP) */
const postLogoutUri = leaf<string | null>('http(s) URL, or "" for none', (value, fail) => {
  if (value === null || value === '') return value;
  let url: URL | null = null;
  try {
    url = typeof value === 'string' ? new URL(value) : null;
  } catch {
    url = null;
  }
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:')) return fail(`expected an http(s) URL or "", got ${show(value)}`);
  if (url.hash !== '' || String(value).includes('#')) return fail(`must not contain a fragment, got ${show(value)}`);
  if (url.username !== '' || url.password !== '') return fail('must not contain credentials (user:password@)');
  return String(value);
});

const endpoint = httpUrl({ form: 'exact', emptyAsNull: true });
const endpointField = (description: string) => field(endpoint, { default: '', description });

/**
 * The IdP's metadata as its discovery document would give it (OpenID Connect Discovery 1.0 §3,
 * same key names), for IdPs reached without discovery: authentik's API hands every provider its
 * endpoints this way.
 */
const metadata = object({
  authorization_endpoint: endpointField('Where browsers are sent to log in.'),
  token_endpoint: endpointField('Token endpoint (code exchange, refresh, Basic grants).'),
  userinfo_endpoint: endpointField('UserInfo endpoint.'),
  end_session_endpoint: endpointField('RP-initiated logout.'),
  introspection_endpoint: endpointField('Token introspection (RFC 7662).'),
  revocation_endpoint: endpointField('Token revocation (RFC 7009).'),
  jwks_uri: endpointField('The signing keys.'),
  id_token_signing_alg_values_supported: field(list(algorithm), { default: [], description: 'Algorithms the IdP signs ID tokens with.' }),
  token_endpoint_auth_methods_supported: field(list(string({ nonEmpty: true })), { default: [], description: 'Client authentication methods the token endpoint takes.' }),
});

/** `null` when absent: the metadata is then discovered. */
const optionalMetadata: Schema<IdentityConfig['metadata']> = {
  type: 'mapping (OpenID Connect discovery metadata)',
  fields: metadata.fields,
  parse: (value, at, ctx) => (value === null ? null : metadata.parse(value, at, ctx)),
};

export const identity = object(
  {
    issuer: field(httpUrl({ form: 'exact' }), {
      required: true,
      description:
        'OpenID Connect issuer URL, exactly as the IdP writes `iss`; https unless the host is loopback (or `allowInsecureHttp`). Here or in every application.',
    }),
    allowInsecureHttp: field(boolean(), {
      default: false,
      description: 'Accept plain-http IdP URLs on hosts that are not loopback: only where the network to the IdP is trusted.',
    }),
    tlsVerify: field(boolean(), {
      default: true,
      description: 'Verify the IdP\'s TLS certificate. `false` only for a self-signed IdP on a trusted network (authentik mode: `AUTHENTIK_INSECURE`).',
    }),
    metadata: field(optionalMetadata, {
      default: null,
      defaultText: 'discovered',
      description: 'The IdP\'s endpoints, as its discovery document names them; given, no discovery call is made.',
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
    clientAuth: field(enumOf(CLIENT_AUTH_METHODS), {
      default: 'auto',
      description:
        'Client authentication at the token, introspection and revocation endpoints. `auto`: `none` without a clientSecret, else the first of `client_secret_basic`/`client_secret_post` in the IdP\'s `token_endpoint_auth_methods_supported` (`client_secret_basic` when it lists neither).',
    }),
    clientKeyFile: field(absoluteFile, {
      default: '',
      description: 'Absolute path of the PEM private key (RSA, EC P-256/384/521 or Ed25519) that signs `private_key_jwt` assertions; read at start-up.',
    }),
    clientKeyId: field(string(), { default: '', description: 'The `kid` of that key as registered at the IdP; empty sends none.' }),
    userinfo: field(enumOf(['auto', 'always', 'never']), {
      default: 'auto',
      description:
        'When the UserInfo endpoint is asked after a login or refresh: `auto` only when a configured claim (username, groups, entitlements, attributes, email, name) is missing from the ID token; its answer fills the missing claims.',
    }),
    postLogoutRedirectUri: field(postLogoutUri, {
      default: null,
      defaultText: 'the application\'s externalHost + "/"',
      description: 'Where the IdP sends the browser after sign-out (`post_logout_redirect_uri`, sent with `client_id`); "" sends none. Must be registered at the IdP.',
    }),
  },
  {
    check(value, at, ctx) {
      checkPlainHttp(value, at, ctx);
      checkClientAuth(value, at, ctx);
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

/** A client authentication method needs what it authenticates with; keys it would ignore are mistakes. */
function checkClientAuth(value: Partly<Pick<IdentityConfig, 'clientAuth' | 'clientSecret' | 'clientKeyFile' | 'clientKeyId'>>, at: Path, ctx: Context): void {
  const { clientAuth, clientSecret, clientKeyFile, clientKeyId } = value;
  if (clientAuth === INVALID || clientSecret === INVALID || clientKeyFile === INVALID || clientKeyId === INVALID) return;
  if ((clientAuth === 'client_secret_basic' || clientAuth === 'client_secret_post') && clientSecret === '') {
    ctx.problems.add(at.key('clientAuth'), `${clientAuth} needs a non-empty clientSecret`);
  }
  if (clientAuth === 'private_key_jwt' && clientKeyFile === '') {
    ctx.problems.add(at.key('clientKeyFile'), 'required with clientAuth: private_key_jwt (the PEM private key that signs client assertions)');
  }
  if (clientAuth !== 'private_key_jwt' && clientKeyFile !== '') {
    ctx.problems.add(at.key('clientKeyFile'), `is only used with clientAuth: private_key_jwt, got clientAuth: ${clientAuth}`);
  }
  if (clientKeyId !== '' && clientKeyFile === '') {
    ctx.problems.add(at.key('clientKeyId'), 'is only used with clientKeyFile');
  }
}

/** Tokens and client secrets cross this link: plain http only to loopback, unless opted out loudly. */
function checkPlainHttp(value: Partly<Pick<IdentityConfig, 'issuer' | 'allowInsecureHttp' | 'metadata'>>, at: Path, ctx: Context): void {
  if (value.allowInsecureHttp !== false) return;
  const urls: [Path, unknown][] = [[at.key('issuer'), value.issuer]];
  if (value.metadata !== null && value.metadata !== INVALID) {
    for (const [key, url] of Object.entries(value.metadata)) urls.push([at.key('metadata').key(key), url]);
  }
  for (const [path, url] of urls) {
    if (typeof url !== 'string' || !url.startsWith('http:')) continue;
    if (!isLoopbackHostname(new URL(url).hostname)) {
      ctx.problems.add(path, `must use https unless the host is loopback (localhost, 127.0.0.0/8, ::1) or allowInsecureHttp is true, got ${show(url)}`);
    }
  }
}

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
  fields: identity.fields,
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
