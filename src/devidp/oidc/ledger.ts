import type { ProviderStore } from './adapter.js';

/** What the IdP remembers about a JWT access token it issued. */
export interface IssuedToken {
  readonly jti: string;
  readonly sub: string;
  readonly clientId: string;
  /** Code-flow and refresh tokens belong to a grant; logout and refresh-token revocation end the grant. */
  readonly grantId?: string;
  readonly exp: number;
}

/**
 * oidc-provider does not store JWT access tokens (they are self-contained), so it cannot
 * introspect or revoke them. The ledger keeps the little that introspection and revocation need.
 */
export class TokenLedger {
  readonly #issued = new Map<string, IssuedToken>();
  readonly #revoked = new Set<string>();
  readonly #store: ProviderStore;
  readonly #nowSeconds: () => number;

  constructor(store: ProviderStore, nowSeconds: () => number = () => Math.floor(Date.now() / 1000)) {
    this.#store = store;
    this.#nowSeconds = nowSeconds;
  }

  record(token: IssuedToken): void {
    this.#prune();
    this.#issued.set(token.jti, token);
  }

  revoke(jti: string): void {
    this.#revoked.add(jti);
  }

  /** The record of a token that is still good: issued here, unexpired, not revoked, its grant alive. */
  live(jti: string): IssuedToken | undefined {
    const token = this.#issued.get(jti);
    if (token === undefined || this.#revoked.has(jti) || token.exp <= this.#nowSeconds()) return undefined;
    if (token.grantId !== undefined && this.#store.get(`Grant:${token.grantId}`) === undefined) return undefined;
    return token;
  }

  /** RFC 7009 §2.1: revoking a refresh token ends its grant, and with it every token of the grant. */
  revokeGrant(grantId: string): void {
    for (const model of ['AccessToken', 'RefreshToken', 'AuthorizationCode']) this.#store.deleteGrant(grantId, `${model}:`);
    this.#store.delete(`Grant:${grantId}`);
  }

  #prune(): void {
    const now = this.#nowSeconds();
    for (const [jti, token] of this.#issued) {
      if (token.exp > now) continue;
      this.#issued.delete(jti);
      this.#revoked.delete(jti);
    }
  }
}
