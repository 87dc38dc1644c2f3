/**
 * The authentication chain: each authenticator looks at the request facts and either
 * establishes an identity, declares the credential it owns invalid, reports that the IdP
 * or the session store could not be asked, or passes (`none`).
 */

import type { Identity } from './identity.js';
import type { BearerErrorCode } from './challenge.js';

export interface CredentialFacts {
  /** The configured credential header's value (`Authorization` or `Proxy-Authorization`). */
  readonly credentialHeader: string | undefined;
  readonly cookieHeader: string | undefined;
  /** The client address after `trustedProxies` handling, for per-address login limits. */
  readonly clientIp?: string;
}

export type AuthResult =
  | { readonly kind: 'identity'; readonly identity: Identity; readonly setCookies: readonly string[] }
  | { readonly kind: 'none' }
  | { readonly kind: 'invalid'; readonly scheme: 'basic' | 'bearer' | 'unknown'; readonly bearerError?: BearerErrorCode }
  | { readonly kind: 'unavailable'; readonly retryAfterSeconds: number; readonly reason: string }
  /** Too many failed logins for the username or the client address; the IdP was not asked. */
  | { readonly kind: 'throttled'; readonly retryAfterSeconds: number };

export interface Authenticator {
  readonly name: string;
  authenticate(facts: CredentialFacts): Promise<AuthResult> | AuthResult;
}

export const NO_CREDENTIALS: AuthResult = Object.freeze({ kind: 'none' });

/**
 * Runs the chain in order; the first identity or invalid credential decides. An
 * `unavailable` answer does not stop the chain: a session store outage must not block a
 * caller whose header credential still checks out. Nor does `throttled`: with
 * `intercept: false` the header goes first, and a valid session still lets its owner in. Either
 * is the result only when nothing later established an identity or refused a credential.
 */
export async function authenticate(chain: readonly Authenticator[], facts: CredentialFacts): Promise<AuthResult> {
  let undecided: AuthResult | null = null;
  for (const authenticator of chain) {
    const result = await authenticator.authenticate(facts);
    if (result.kind === 'identity' || result.kind === 'invalid') {
      return result;
    }
    if (result.kind === 'unavailable' || result.kind === 'throttled') {
      undecided ??= result;
    }
  }
  return undecided ?? NO_CREDENTIALS;
}
