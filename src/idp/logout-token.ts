/**
 * Validation of OpenID Connect Back-Channel Logout tokens: a JWT the IdP signs and POSTs to
 * the outpost, naming the user (`sub`) whose sessions end.
 *
 * @see OpenID Connect Back-Channel Logout 1.0 §2.4 (claims), §2.6 (validation)
 */

import { errors } from 'jose';
import { isPortcullisError } from '../errors/index.js';
import { defaultAlgorithms } from './access-token.js';
import type { IdentityProvider } from './provider.js';
import { verifyWithKeySet } from './signed-jwt.js';
import { invalid, unavailable, type Verdict } from './verdict.js';

const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** How far past `exp` (and before `iat`) a logout token is still accepted: clock skew. */
export const LOGOUT_TOKEN_CLOCK_TOLERANCE_MS = 30_000;

export interface LogoutSubject {
  readonly sub: string | undefined;
  readonly sid: string | undefined;
  readonly jti: string;
  /** Epoch ms from `exp`: the jti must be remembered until then. */
  readonly expiresAt: number;
}

export async function verifyLogoutToken(token: string, provider: IdentityProvider, clientId: string): Promise<Verdict<LogoutSubject>> {
  try {
    const configuration = await provider.configuration();
    const jwks = await provider.jwks();
    const payload = await verifyWithKeySet(token, jwks, {
      issuer: provider.issuer,
      audience: clientId,
      algorithms: defaultAlgorithms(configuration.serverMetadata().id_token_signing_alg_values_supported, ''),
      // §2.4: exp is required (a token without one could be replayed for ever).
      requiredClaims: ['iat', 'jti', 'events', 'exp'],
      clockTolerance: LOGOUT_TOKEN_CLOCK_TOLERANCE_MS / 1000,
      maxTokenAge: '10m',
    });
    const events = payload.events;
    if (events === null || typeof events !== 'object' || !Object.hasOwn(events, BACKCHANNEL_EVENT)) {
      return invalid('the token is not a back-channel logout token');
    }
    // A nonce would make it an ID token, which must never be accepted as a logout request.
    if ('nonce' in payload) {
      return invalid('a logout token must not contain a nonce');
    }
    const sub = typeof payload.sub === 'string' ? payload.sub : undefined;
    const sid = typeof payload.sid === 'string' ? payload.sid : undefined;
    if (sub === undefined && sid === undefined) {
      return invalid('a logout token names a sub or a sid');
    }
    return { ok: true, value: { sub, sid, jti: String(payload.jti), expiresAt: (payload.exp as number) * 1000 } };
  } catch (error) {
    if (isPortcullisError(error, 'PCL_IDP_UNAVAILABLE') || isPortcullisError(error, 'PCL_IDP_DISCOVERY')) {
      return unavailable(error.message);
    }
    if (error instanceof errors.JOSEError || error instanceof TypeError) {
      return invalid(error.message);
    }
    throw error;
  }
}
