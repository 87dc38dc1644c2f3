/**
 * `jwtVerify` against an IdP key set, for every JWT the IdP signs (access, ID and logout
 * tokens). A token with a `kid` the set lacks already waits for a fresh set inside the key
 * resolver; a token without `kid` whose signature no cached key verifies gets the same chance
 * here (its key may be the one just rotated in), once. Without `kid`, several keys may fit
 * (a rotation's overlap publishes two): each is tried.
 */

import { decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose';
import { isPortcullisError } from '../errors/index.js';
import type { JwksCache } from './jwks.js';
import type { IdentityProvider } from './provider.js';
import { invalid, unavailable, type Verdict } from './verdict.js';

/**
 * A JWT the IdP issued to this client (an ID token, a signed UserInfo answer): HS* keyed with
 * the client secret (OpenID Connect Core §10.1), anything else against the IdP's key set. The
 * answer is a verdict: `unavailable` when the keys could not be had (never a verdict on the
 * token), `invalid` naming `what` when it did not verify.
 */
export async function verifyIssuedJwt(provider: IdentityProvider, jwt: string, options: JWTVerifyOptions, what: string): Promise<Verdict<JWTPayload>> {
  try {
    const { alg } = decodeProtectedHeader(jwt);
    const payload =
      typeof alg === 'string' && alg.startsWith('HS')
        ? (await jwtVerify(jwt, new TextEncoder().encode(provider.identity.clientSecret), options)).payload
        : await verifyWithKeySet(jwt, await provider.jwks(), options);
    return { ok: true, value: payload };
  } catch (error) {
    if (isPortcullisError(error, 'PCL_IDP_UNAVAILABLE') || isPortcullisError(error, 'PCL_IDP_DISCOVERY')) {
      return unavailable(error.message);
    }
    if (error instanceof errors.JOSEError || error instanceof TypeError) {
      return invalid(`${what} did not verify: ${error.message}`);
    }
    throw error;
  }
}

export async function verifyWithKeySet(token: string, jwks: JwksCache, options: JWTVerifyOptions): Promise<JWTPayload> {
  try {
    return await verifyOnce(token, jwks, options);
  } catch (error) {
    if (!(error instanceof errors.JWSSignatureVerificationFailed) || decodeProtectedHeader(token).kid !== undefined) {
      throw error;
    }
    if ((await jwks.renew()) === 'unchanged') {
      throw error;
    }
    return verifyOnce(token, jwks, options);
  }
}

async function verifyOnce(token: string, jwks: JwksCache, options: JWTVerifyOptions): Promise<JWTPayload> {
  try {
    return (await jwtVerify(token, (header, input) => jwks.key(header, input), options)).payload;
  } catch (error) {
    if (!(error instanceof errors.JWKSMultipleMatchingKeys)) {
      throw error;
    }
    // jose hands over the candidates; the one whose signature verifies decides, and a claim
    // check that then fails (expired, wrong audience) is that token's verdict.
    for await (const key of error) {
      try {
        return (await jwtVerify(token, key, options)).payload;
      } catch (attempt) {
        if (!(attempt instanceof errors.JWSSignatureVerificationFailed)) throw attempt;
      }
    }
    throw new errors.JWSSignatureVerificationFailed();
  }
}
