/**
 * The signature of ID tokens from the code exchange and from a refresh. The token endpoint's
 * other checks (`iss`, `aud`, `exp`, `nonce`, `azp`) are oauth4webapi's; it trusts TLS for the
 * signature (OpenID Connect Core §3.1.3.7), but outposts often reach their IdP over plain HTTP
 * inside a cluster, so the signature is checked here, against the same key cache as every
 * other token (a rotation is followed the same way).
 */

import { errors, jwtVerify, decodeProtectedHeader } from 'jose';
import { isPortcullisError } from '../errors/index.js';
import { defaultAlgorithms } from './access-token.js';
import type { IdentityProvider } from './provider.js';
import { verifyWithKeySet } from './signed-jwt.js';
import { invalid, unavailable, type Verdict } from './verdict.js';

export async function verifyIdTokenSignature(provider: IdentityProvider, idToken: string): Promise<Verdict<true>> {
  try {
    const configuration = await provider.configuration();
    const secret = provider.identity.clientSecret;
    const algorithms = defaultAlgorithms(configuration.serverMetadata().id_token_signing_alg_values_supported, secret);
    const options = { issuer: provider.issuer, audience: provider.clientId, algorithms, clockTolerance: 30 };
    const { alg } = decodeProtectedHeader(idToken);
    if (typeof alg === 'string' && alg.startsWith('HS')) {
      // OpenID Connect Core §10.1: HMAC ID tokens are keyed with the client secret.
      await jwtVerify(idToken, new TextEncoder().encode(secret), options);
    } else {
      await verifyWithKeySet(idToken, await provider.jwks(), options);
    }
    return { ok: true, value: true };
  } catch (error) {
    if (isPortcullisError(error, 'PCL_IDP_UNAVAILABLE') || isPortcullisError(error, 'PCL_IDP_DISCOVERY')) {
      return unavailable(error.message);
    }
    if (error instanceof errors.JOSEError || error instanceof TypeError) {
      return invalid(`the ID token did not verify: ${error.message}`);
    }
    throw error;
  }
}
