/**
 * The authentication chain: each authenticator looks at the request facts and either
 * establishes an identity, declares the credential it owns invalid, reports that the IdP
 * could not be asked, or passes (`none`). The first answer other than `none` wins.
 */

import type { Identity } from './identity.js';
import type { BearerErrorCode } from './challenge.js';

export interface CredentialFacts {
  /** The configured credential header's value (`Authorization` or `Proxy-Authorization`). */
  readonly credentialHeader: string | undefined;
  readonly cookieHeader: string | undefined;
}

export type AuthResult =
  | { readonly kind: 'identity'; readonly identity: Identity; readonly setCookies: readonly string[] }
  | { readonly kind: 'none' }
  | { readonly kind: 'invalid'; readonly scheme: 'basic' | 'bearer' | 'unknown'; readonly bearerError?: BearerErrorCode }
  | { readonly kind: 'unavailable'; readonly retryAfterSeconds: number; readonly reason: string };

export interface Authenticator {
  readonly name: string;
  authenticate(facts: CredentialFacts): Promise<AuthResult> | AuthResult;
}

export const NO_CREDENTIALS: AuthResult = Object.freeze({ kind: 'none' });

export async function authenticate(chain: readonly Authenticator[], facts: CredentialFacts): Promise<AuthResult> {
  for (const authenticator of chain) {
    const result = await authenticator.authenticate(facts);
    if (result.kind !== 'none') {
      return result;
    }
  }
  return NO_CREDENTIALS;
}
