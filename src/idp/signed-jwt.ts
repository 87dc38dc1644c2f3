/**
 * `jwtVerify` against an IdP key set, for every JWT the IdP signs (access, ID and logout
 * tokens). A token with a `kid` the set lacks already waits for a fresh set inside the key
 * resolver; a token without `kid` whose signature no cached key verifies gets the same chance
 * here (its key may be the one just rotated in), once. Without `kid`, several keys may fit
 * (a rotation's overlap publishes two): each is tried.
 */

import { decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose';
import type { JwksCache } from './jwks.js';

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
