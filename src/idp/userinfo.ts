/**
 * OpenID Connect UserInfo (Core §5.3): providers that keep the ID token lean (Core §5.4, and
 * oidc-provider's default) hand out profile, email and groups only here. After a login or a
 * refresh, when `identity.userinfo` asks for it, the UserInfo answer fills the claims the ID
 * token lacks. The ID token stays authoritative: its claims win, and the protocol claims
 * (`iss`, `aud`, `sub`, `exp`…) are only ever its own.
 *
 * Either a complete identity or none: an IdP that does not answer properly here (timeout, 5xx,
 * HTML) makes the verdict `unavailable`, never an identity with empty groups.
 */

import * as oauth from 'oauth4webapi';
import { isPortcullisError, messageOf } from '../errors/index.js';
import { defaultAlgorithms } from './access-token.js';
import type { IdentityProvider } from './provider.js';
import { verifyIssuedJwt } from './signed-jwt.js';
import { invalid, unavailable, type Verdict } from './verdict.js';

export type Claims = Readonly<Record<string, unknown>>;

/** Claims about the token or the authentication, not the user: never taken from UserInfo. */
const PROTOCOL_CLAIMS = new Set(['iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'jti', 'auth_time', 'nonce', 'acr', 'amr', 'azp', 'sid', 'at_hash', 'c_hash', 's_hash']);

/** Standard claims the identity reads besides the configured ones (`X-authentik-email`, `-name`). */
const ALWAYS_READ = ['email', 'name'];

/** Whether this login's claims need the UserInfo endpoint, per `identity.userinfo`. */
export function wantsUserinfo(provider: IdentityProvider, endpoint: string | undefined, claims: Claims): boolean {
  const { userinfo, claims: paths } = provider.identity;
  if (endpoint === undefined || userinfo === 'never') {
    return false;
  }
  if (userinfo === 'always') {
    return true;
  }
  return [paths.username, paths.groups, paths.entitlements, paths.attributes, ...ALWAYS_READ].some((path) => claimAt(claims, path) === undefined);
}

/**
 * The ID token's claims completed from UserInfo when `wantsUserinfo` says so, else unchanged.
 * @see OpenID Connect Core 1.0 §5.3.2 (response), §5.3.4 (`sub` must match the ID token's)
 */
export async function completeClaims(provider: IdentityProvider, idClaims: Claims, accessToken: string): Promise<Verdict<Claims>> {
  let endpoint: string | undefined;
  try {
    endpoint = (await provider.configuration()).serverMetadata().userinfo_endpoint;
  } catch (error) {
    return unavailable(messageOf(error));
  }
  if (!wantsUserinfo(provider, endpoint, idClaims)) {
    return { ok: true, value: idClaims };
  }
  const answer = await fetchUserinfo(provider, accessToken);
  if (!answer.ok) {
    return answer;
  }
  // Without this, a mixed-up or malicious answer would graft another user's groups onto this login.
  if (typeof answer.value.sub !== 'string' || answer.value.sub !== idClaims.sub) {
    return invalid('the UserInfo subject is not the ID token subject');
  }
  return { ok: true, value: fillMissing(idClaims, answer.value, true) };
}

/** The UserInfo answer for this access token: a JSON object, or a signed JWT verified like an ID token. */
export async function fetchUserinfo(provider: IdentityProvider, accessToken: string): Promise<Verdict<Claims>> {
  let response: Response;
  try {
    const configuration = await provider.configuration();
    response = await oauth.userInfoRequest(configuration.serverMetadata(), { client_id: provider.clientId }, accessToken, {
      signal: AbortSignal.timeout(provider.timeoutMs),
      [oauth.customFetch]: provider.fetch,
      [oauth.allowInsecureRequests]: provider.insecureRequests,
    });
  } catch (error) {
    return unavailable(`the UserInfo endpoint could not be reached: ${messageOf(error)}`);
  }
  try {
    return await readUserinfo(provider, response);
  } catch (error) {
    // Reading the body can still time out or be cut off.
    return unavailable(`the UserInfo endpoint did not answer properly: ${messageOf(error)}`);
  }
}

async function readUserinfo(provider: IdentityProvider, response: Response): Promise<Verdict<Claims>> {
  if (response.status === 401) {
    await response.body?.cancel();
    // The IdP refuses the token it has just issued: revoked, or the user was disabled meanwhile.
    return invalid('the UserInfo endpoint refused the access token (401)');
  }
  if (response.status === 403) {
    await response.body?.cancel();
    // insufficient_scope (RFC 6750 §3.1): the scopes configured, not the user; sessions stay.
    return unavailable('the UserInfo endpoint refused the access token\'s scope (403)');
  }
  const type = (response.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (response.status !== 200) {
    await response.body?.cancel();
    return unavailable(`the UserInfo endpoint answered ${response.status}`);
  }
  if (type === 'application/jwt') {
    return verifySignedUserinfo(provider, (await response.text()).trim());
  }
  if (type !== 'application/json') {
    await response.body?.cancel();
    return unavailable(`the UserInfo endpoint answered ${type === '' ? 'without a content type' : type} instead of JSON`);
  }
  let body: unknown;
  try {
    body = JSON.parse(await response.text());
  } catch {
    return unavailable('the UserInfo endpoint answered malformed JSON');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return unavailable('the UserInfo endpoint answered JSON that is not an object');
  }
  return { ok: true, value: body as Claims };
}

/**
 * Signed UserInfo (Core §5.3.2): `iss` and `aud` are required when signed, and the signature is
 * checked against the same key cache as ID tokens (HS* with the client secret, Core §10.1).
 */
async function verifySignedUserinfo(provider: IdentityProvider, jwt: string): Promise<Verdict<Claims>> {
  let advertised: string[] | undefined;
  try {
    const metadata = (await provider.configuration()).serverMetadata();
    advertised = metadata.userinfo_signing_alg_values_supported ?? metadata.id_token_signing_alg_values_supported;
  } catch (error) {
    if (isPortcullisError(error, 'PCL_IDP_DISCOVERY')) return unavailable(error.message);
    throw error;
  }
  const options = {
    issuer: provider.issuer,
    audience: provider.clientId,
    algorithms: defaultAlgorithms(advertised, provider.identity.clientSecret),
    requiredClaims: ['iss', 'aud', 'sub'],
    clockTolerance: 30,
  };
  return verifyIssuedJwt(provider, jwt, options, 'the signed UserInfo');
}

/**
 * `base` with what it lacks taken from `extra`; nested objects (`ak_proxy`) are completed key by
 * key. At the top level, protocol claims stay the ID token's alone.
 */
function fillMissing(base: Claims, extra: Claims, topLevel: boolean): Claims {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    if (topLevel && PROTOCOL_CLAIMS.has(key)) {
      continue;
    }
    const have = Object.hasOwn(out, key) ? out[key] : undefined;
    if (have === undefined) {
      setOwn(out, key, value);
    } else if (isRecord(have) && isRecord(value)) {
      setOwn(out, key, fillMissing(have, value, false));
    }
  }
  return out;
}

/** defineProperty: a `__proto__` key in the JSON must stay a claim, not become a prototype. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function isRecord(value: unknown): value is Claims {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A dotted path (`ak_proxy.user_attributes`) into the claims, as `identity.claims` names them. */
function claimAt(claims: Claims, path: string): unknown {
  let value: unknown = claims;
  for (const key of path.split('.')) {
    if (!isRecord(value) || !Object.hasOwn(value, key)) {
      return undefined;
    }
    value = value[key];
  }
  return value;
}
