/**
 * `jwtVerify` against an IdP key set, for every JWT the IdP signs (access, ID and logout
 * tokens). A token with a `kid` the set lacks already waits for a fresh set inside the key
 * resolver; a token without `kid` whose signature no cached key verifies gets the same chance
 * here (its key may be the one just rotated in), once.
 */

import { decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose';
import type { JwksCache } from './jwks.js';

export async function verifyWithKeySet(token: string, jwks: JwksCache, options: JWTVerifyOptions): Promise<JWTPayload> {
  try {
    return (await jwtVerify(token, (header, input) => jwks.key(header, input), options)).payload;
  } catch (error) {
    if (!(error instanceof errors.JWSSignatureVerificationFailed) || decodeProtectedHeader(token).kid !== undefined) {
      throw error;
    }
    if ((await jwks.renew()) === 'unchanged') {
      throw error;
    }
    return (await jwtVerify(token, (header, input) => jwks.key(header, input), options)).payload;
  }
}
