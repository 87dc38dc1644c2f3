/**
 * The signature of ID tokens from the code exchange and from a refresh. The token endpoint's
 * other checks (`iss`, `aud`, `exp`, `nonce`, `azp`) are oauth4webapi's; it trusts TLS for the
 * signature (OpenID Connect Core §3.1.3.7), but outposts often reach their IdP over plain HTTP
 * inside a cluster, so the signature is checked here, against the same key cache as every
 * other token (a rotation is followed the same way).
 */

import { isPortcullisError } from '../errors/index.js';
import { defaultAlgorithms } from './access-token.js';
import type { IdentityProvider } from './provider.js';
import { verifyIssuedJwt } from './signed-jwt.js';
import { unavailable, type Verdict } from './verdict.js';

export async function verifyIdTokenSignature(provider: IdentityProvider, idToken: string): Promise<Verdict<true>> {
  let algorithms: string[];
  try {
    const configuration = await provider.configuration();
    algorithms = defaultAlgorithms(configuration.serverMetadata().id_token_signing_alg_values_supported, provider.identity.clientSecret);
  } catch (error) {
    if (isPortcullisError(error, 'PCL_IDP_DISCOVERY')) return unavailable(error.message);
    throw error;
  }
  const verdict = await verifyIssuedJwt(provider, idToken, { issuer: provider.issuer, audience: provider.clientId, algorithms, clockTolerance: 30 }, 'the ID token');
  return verdict.ok ? { ok: true, value: true } : verdict;
}
