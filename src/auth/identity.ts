/** Who the caller is, however that was established. Immutable once built. */

export type AuthMethod = 'session' | 'basic' | 'bearer';

export interface Identity {
  /** The IdP's subject identifier (`sub`). */
  readonly sub: string;
  readonly username: string;
  readonly email: string;
  readonly name: string;
  readonly groups: readonly string[];
  readonly entitlements: readonly string[];
  /** User attributes as the IdP merged them (group attributes under user attributes). */
  readonly attributes: Readonly<Record<string, unknown>>;
  /** Every claim of the token, for claim and expression policies. */
  readonly claims: Readonly<Record<string, unknown>>;
  /** The raw access token, forwarded as `X-authentik-jwt`. */
  readonly token: string;
  /** Epoch milliseconds after which the identity must be re-established. */
  readonly expiresAt: number;
  readonly method: AuthMethod;
}
