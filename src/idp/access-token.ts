/**
 * Local validation of JWT access tokens (RFC 9068, RFC 8725): signature by an allow-listed
 * algorithm bound to the key type, issuer, audience, expiry with a small leeway.
 *
 * Algorithm confusion is closed by construction: asymmetric algorithms only ever get keys
 * from the IdP's JWKS, HS* only ever gets the client secret, and `none` is never allowed.
 * `jku`, `x5u` and embedded `jwk` headers are never consulted, so a token cannot point
 * Portcullis at an attacker's keys.
 */

import { decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import { isPortcullisError } from '../errors/index.js';
import type { JwksCache } from './jwks.js';
import { verifyWithKeySet } from './signed-jwt.js';
import { invalid, unavailable, type Verdict } from './verdict.js';

export interface VerifiedToken {
  readonly claims: JWTPayload;
  /** Epoch ms from `exp`. */
  readonly expiresAt: number;
}

export interface AccessTokenPolicy {
  readonly issuer: string;
  readonly audiences: readonly string[];
  /** Allowed `alg` values; never contains `none`. */
  readonly algorithms: readonly string[];
  /** For HS* tokens (authentik proxy providers without a signing key); '' disables HS*. */
  readonly clientSecret: string;
  readonly clockToleranceSeconds: number;
  readonly now?: () => number;
}

// Claims only an ID token carries: an ID token is proof of a login to the client, not a
// credential for calling it, so it is refused where an access token is expected.
const ID_TOKEN_CLAIMS = ['nonce', 'at_hash', 'c_hash', 's_hash'];
const ACCESS_TOKEN_TYPES = new Set(['at+jwt', 'application/at+jwt', 'jwt']);
// Bearer headers are already bounded by the server's header size limit; tokens the IdP issues
// for an app password are not, and users in thousands of groups get large ones.
const MAX_TOKEN_LENGTH = 256 * 1024;

export async function verifyAccessToken(token: string, jwks: JwksCache, policy: AccessTokenPolicy): Promise<Verdict<VerifiedToken>> {
  if (token.length > MAX_TOKEN_LENGTH || token.split('.').length !== 3) {
    return invalid('not a compact JWS');
  }
  // The header is whatever JSON the caller wrote: its types are checked here, not trusted.
  let alg: unknown;
  let typ: unknown;
  try {
    ({ alg, typ } = decodeProtectedHeader(token));
  } catch {
    return invalid('unreadable token header');
  }
  if (typeof alg !== 'string' || alg === 'none' || !policy.algorithms.includes(alg)) {
    return invalid(`algorithm ${JSON.stringify(alg ?? null)} is not allowed`);
  }
  if (typ !== undefined && (typeof typ !== 'string' || !ACCESS_TOKEN_TYPES.has(typ.toLowerCase()))) {
    return invalid(`token type ${JSON.stringify(typ)} is not an access token`);
  }
  const symmetric = alg.startsWith('HS');
  if (symmetric && policy.clientSecret === '') {
    return invalid('HMAC-signed tokens need a client secret');
  }
  const secretKey = symmetric ? new TextEncoder().encode(policy.clientSecret) : null;
  try {
    const options = {
      issuer: policy.issuer,
      audience: [...policy.audiences],
      algorithms: [alg],
      clockTolerance: policy.clockToleranceSeconds,
      requiredClaims: ['exp', 'sub'],
      ...(policy.now ? { currentDate: new Date(policy.now()) } : {}),
    };
    const payload = secretKey === null ? await verifyWithKeySet(token, jwks, options) : (await jwtVerify(token, secretKey, options)).payload;
    if (ID_TOKEN_CLAIMS.some((claim) => claim in payload)) {
      return invalid('an ID token is not an access token');
    }
    // RFC 7519 §4.1.2: a StringOrURI. A number would become the same uid (and session index) as
    // the string of its digits.
    if (typeof payload.sub !== 'string' || payload.sub === '') {
      return invalid('sub must be a non-empty string');
    }
    return { ok: true, value: { claims: payload, expiresAt: (payload.exp as number) * 1000 } };
  } catch (error) {
    if (isPortcullisError(error, 'PCL_IDP_UNAVAILABLE')) {
      return unavailable(error.message);
    }
    if (error instanceof errors.JOSEError || error instanceof TypeError) {
      return invalid(error.message);
    }
    throw error;
  }
}

/** The algorithms accepted when `bearer.algorithms` is empty: the IdP's advertised ones. */
export function defaultAlgorithms(advertised: readonly string[] | undefined, clientSecret: string): string[] {
  const known = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
  const hmac = ['HS256', 'HS384', 'HS512'];
  const source = advertised !== undefined && advertised.length > 0 ? advertised : ['RS256'];
  return source.filter((alg) => known.includes(alg) || (clientSecret !== '' && hmac.includes(alg)));
}
