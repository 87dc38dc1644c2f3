/**
 * The `identity` block: top-level defaults for every application, overridable per application
 * key by key (deep: an application may override only `bearer.audiences`). The top-level block
 * is checked key by key; each application's merged block is checked whole, rules included
 * (see merge-identity.ts for where its problems are reported).
 */

import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { show } from '../problems.js';
import { field, required } from '../values/field.js';
import { expecting, kind } from '../values/kinds.js';
import { INVALID, mapping, withRule, type Partly, type RuleContext } from '../values/mapping.js';
import { httpUrl, isHttpsOrLoopback, optionalHttpUrl } from '../values/network.js';
import { boolean, enumOf, list, string } from '../values/scalars.js';

const JWS_ALGORITHMS: readonly string[] = [
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'HS256', 'HS384', 'HS512',
];

const algorithmExpected = (value: unknown): string => `expected a JWS algorithm (${JWS_ALGORITHMS.join(', ')}), got ${show(value)}`;

/** @see RFC 7518 §3.1, RFC 8037 §3.1 */
const algorithm = kind(
  'JWS algorithm',
  z.string({ error: expecting(algorithmExpected) }).superRefine((value, ctx) => {
    // An unsigned token would let anyone mint identities.
    if (value.toLowerCase() === 'none') ctx.addIssue({ code: 'custom', message: '"none" is never accepted (unsigned tokens)' });
    else if (!JWS_ALGORITHMS.includes(value)) ctx.addIssue({ code: 'custom', message: algorithmExpected(value) });
  }),
);

/** @see RFC 6749 §3.3 scope-token */
const scope = string({ label: 'scope', pattern: { re: /^[\x21\x23-\x5b\x5d-\x7e]+$/, expected: 'an OAuth scope' } });

const claimPath = string({
  label: 'claim path',
  pattern: { re: /^[^.\s]+(?:\.[^.\s]+)*$/, expected: 'a claim name or dotted path such as "ak_proxy.user_attributes"' },
});

const bearer = mapping({
  validation: field(enumOf(['jwt', 'introspection', 'jwt+introspection']), {
    default: 'jwt',
    description: 'How Bearer tokens are checked: `jwt` (signature against the JWKS, locally), `introspection` (RFC 7662) or both.',
  }),
  audiences: field(list(string({ nonEmpty: true })), { default: [], description: 'Accepted `aud` values; empty means `[clientId]`.' }),
  algorithms: field(list(algorithm), {
    default: [],
    description: 'Accepted JWS algorithms; empty means those the IdP advertises. Never `none`; `HS*` only with a clientSecret.',
  }),
});

const claims = mapping({
  username: field(claimPath, { default: 'preferred_username', description: 'Claim holding the username.' }),
  groups: field(claimPath, { default: 'groups', description: 'Claim holding the list of group names.' }),
  entitlements: field(claimPath, { default: 'entitlements', description: 'Claim holding the list of entitlements.' }),
  attributes: field(claimPath, { default: 'ak_proxy.user_attributes', description: 'Dotted path to the user attributes (used by upstreamBasicAuth).' }),
});

const CLIENT_AUTH_METHODS = ['auto', 'client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'] as const;

const absoluteFileExpected = (value: unknown): string => `expected an absolute file path, got ${show(value)}`;

/** Read at start-up, long after this file's folder is known: relative paths would be ambiguous. */
const absoluteFile = kind(
  'absolute file path',
  z.string({ error: expecting(absoluteFileExpected) }).superRefine((value, ctx) => {
    if (value !== '' && !isAbsolute(value)) ctx.addIssue({ code: 'custom', message: absoluteFileExpected(value) });
  }),
);

const postLogoutExpected = (value: unknown): string => `expected an http(s) URL or "", got ${show(value)}`;

/** The URL's problem, or null. @see OpenID Connect RP-Initiated Logout 1.0 §2 (`post_logout_redirect_uri`, registered at the IdP) */
function postLogoutProblem(value: string): string | null {
  let url: URL | null = null;
  try {
    url = new URL(value);
  } catch {
    url = null;
  }
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:')) return postLogoutExpected(value);
  if (url.hash !== '' || value.includes('#')) return `must not contain a fragment, got ${show(value)}`;
  if (url.username !== '' || url.password !== '') return 'must not contain credentials (user:password@)';
  return null;
}

const postLogoutUri = kind(
  'http(s) URL, or "" for none',
  z
    .string({ error: expecting(postLogoutExpected) })
    .superRefine((value, ctx) => {
      const problem = value === '' ? null : postLogoutProblem(value);
      if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
    })
    .nullable(),
);

const endpoint = (description: string) => field(optionalHttpUrl({ form: 'exact' }), { default: '', description });

/**
 * The IdP's metadata as its discovery document would give it (OpenID Connect Discovery 1.0 §3,
 * same key names), for IdPs reached without discovery: authentik's API hands every provider its
 * endpoints this way.
 */
const metadata = mapping({
  authorization_endpoint: endpoint('Where browsers are sent to log in.'),
  token_endpoint: endpoint('Token endpoint (code exchange, refresh, Basic grants).'),
  userinfo_endpoint: endpoint('UserInfo endpoint.'),
  end_session_endpoint: endpoint('RP-initiated logout.'),
  introspection_endpoint: endpoint('Token introspection (RFC 7662).'),
  revocation_endpoint: endpoint('Token revocation (RFC 7009).'),
  jwks_uri: endpoint('The signing keys.'),
  id_token_signing_alg_values_supported: field(list(algorithm), { default: [], description: 'Algorithms the IdP signs ID tokens with.' }),
  token_endpoint_auth_methods_supported: field(list(string({ nonEmpty: true })), { default: [], description: 'Client authentication methods the token endpoint takes.' }),
});

const identityKeys = mapping({
  issuer: required(httpUrl({ form: 'exact' }), {
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
  metadata: field(kind('mapping (OpenID Connect discovery metadata)', metadata.nullable()), {
    default: null,
    defaultText: 'discovered',
    description: 'The IdP\'s endpoints, as its discovery document names them; given, no discovery call is made.',
  }),
  clientId: required(string({ nonEmpty: true }), { description: 'OAuth client id of this outpost at the IdP. Here or in every application.' }),
  clientSecret: field(string({ secret: true }), { default: '', description: 'OAuth client secret; empty for a public client. Never shown in messages.' }),
  scopes: field(list(scope), { default: ['openid', 'profile', 'email', 'ak_proxy'], description: 'Scopes requested at login; must include `openid`.' }),
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
});

type Identity = Partly<z.output<typeof identityKeys>>;

/** Tokens and client secrets cross this link: plain http only to loopback, unless opted out loudly. */
function checkPlainHttp(value: Identity, ctx: RuleContext): void {
  if (value.allowInsecureHttp !== false) return;
  const urls: [readonly string[], unknown][] = [[['issuer'], value.issuer]];
  if (value.metadata !== null && value.metadata !== INVALID) {
    for (const [key, url] of Object.entries(value.metadata)) urls.push([['metadata', key], url]);
  }
  for (const [path, url] of urls) {
    if (typeof url === 'string' && !isHttpsOrLoopback(url)) {
      ctx.report(path, `must use https unless the host is loopback (localhost, 127.0.0.0/8, ::1) or allowInsecureHttp is true, got ${show(url)}`);
    }
  }
}

/** A client authentication method needs what it authenticates with; keys it would ignore are mistakes. */
function checkClientAuth({ clientAuth, clientSecret, clientKeyFile, clientKeyId }: Identity, ctx: RuleContext): void {
  if (clientAuth === INVALID || clientSecret === INVALID || clientKeyFile === INVALID || clientKeyId === INVALID) return;
  if ((clientAuth === 'client_secret_basic' || clientAuth === 'client_secret_post') && clientSecret === '') {
    ctx.report(['clientAuth'], `${clientAuth} needs a non-empty clientSecret`);
  }
  if (clientAuth === 'private_key_jwt' && clientKeyFile === '') {
    ctx.report(['clientKeyFile'], 'required with clientAuth: private_key_jwt (the PEM private key that signs client assertions)');
  }
  if (clientAuth !== 'private_key_jwt' && clientKeyFile !== '') {
    ctx.report(['clientKeyFile'], `is only used with clientAuth: private_key_jwt, got clientAuth: ${clientAuth}`);
  }
  if (clientKeyId !== '' && clientKeyFile === '') ctx.report(['clientKeyId'], 'is only used with clientKeyFile');
}

/** HMAC algorithms are keyed by the client secret; without one any key would do. */
function checkHmac({ clientSecret, bearer: bearerConfig }: Identity, ctx: RuleContext): void {
  if (clientSecret !== '' || bearerConfig === INVALID) return;
  bearerConfig.algorithms.forEach((alg, i) => {
    if (alg.startsWith('HS')) ctx.report(['bearer', 'algorithms', i], `${alg} needs a non-empty clientSecret (the HMAC key)`);
  });
}

function checkScopes({ scopes }: Identity, ctx: RuleContext): void {
  if (scopes !== INVALID && !scopes.includes('openid')) ctx.report(['scopes'], 'must include "openid"');
}

/** An application's identity: the top-level block with its overrides laid over, checked whole. */
export const identity = withRule(identityKeys, (value, ctx) => {
  checkScopes(value, ctx);
  checkPlainHttp(value, ctx);
  checkClientAuth(value, ctx);
  checkHmac(value, ctx);
});

/**
 * The top-level `identity` block: every key it holds is checked, but nothing is required of it
 * alone (applications may supply `issuer` and `clientId` themselves), and the rules wait for the
 * merged block of each application.
 */
export const identityDefaults = identityKeys.partial();
