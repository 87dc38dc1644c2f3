/**
 * Checks an access token the way an application's `identity.bearer.validation` says:
 * locally against the JWKS (`jwt`), at the introspection endpoint (`introspection`), or
 * both (`jwt+introspection`: the local check rejects forgeries without an IdP call, the
 * introspection sees revocations).
 */

import type { IdentityConfig } from '../config/index.js';
import { isPortcullisError } from '../errors/index.js';
import { defaultAlgorithms, verifyAccessToken, type VerifiedToken } from './access-token.js';
import { introspectToken } from './introspection.js';
import type { IdentityProvider } from './provider.js';
import { unavailable, type Verdict } from './verdict.js';

export interface TokenCheckerOptions {
  readonly provider: IdentityProvider;
  readonly identity: IdentityConfig;
  readonly clockToleranceSeconds?: number;
  readonly now?: () => number;
}

export class TokenChecker {
  readonly #options: TokenCheckerOptions;
  readonly #audiences: readonly string[];
  #algorithms: readonly string[] | null = null;

  constructor(options: TokenCheckerOptions) {
    this.#options = options;
    const { bearer, clientId } = options.identity;
    this.#audiences = bearer.audiences.length > 0 ? bearer.audiences : [clientId];
  }

  async check(token: string): Promise<Verdict<VerifiedToken>> {
    const { validation } = this.#options.identity.bearer;
    try {
      if (validation === 'introspection') {
        return await this.#introspect(token);
      }
      const local = await this.#verifyLocally(token);
      if (!local.ok || validation === 'jwt') {
        return local;
      }
      const remote = await this.#introspect(token);
      // Introspection decides whether the token is live; the signed claims stay authoritative.
      return remote.ok ? local : remote;
    } catch (error) {
      if (isPortcullisError(error, 'PCL_IDP_DISCOVERY') || isPortcullisError(error, 'PCL_IDP_UNAVAILABLE')) {
        return unavailable(error.message);
      }
      throw error;
    }
  }

  async #verifyLocally(token: string): Promise<Verdict<VerifiedToken>> {
    const { provider, identity } = this.#options;
    const jwks = await provider.jwks();
    return verifyAccessToken(token, jwks, {
      issuer: identity.issuer,
      audiences: this.#audiences,
      algorithms: await this.#allowedAlgorithms(),
      clientSecret: identity.clientSecret,
      clockToleranceSeconds: this.#options.clockToleranceSeconds ?? 30,
      ...(this.#options.now ? { now: this.#options.now } : {}),
    });
  }

  async #introspect(token: string): Promise<Verdict<VerifiedToken>> {
    return introspectToken(await this.#options.provider.configuration(), token, this.#audiences);
  }

  async #allowedAlgorithms(): Promise<readonly string[]> {
    if (this.#algorithms === null) {
      const { bearer, clientSecret } = this.#options.identity;
      if (bearer.algorithms.length > 0) {
        this.#algorithms = bearer.algorithms.filter((alg) => alg !== 'none' && (!alg.startsWith('HS') || clientSecret !== ''));
      } else {
        const metadata = (await this.#options.provider.configuration()).serverMetadata();
        this.#algorithms = defaultAlgorithms(metadata.id_token_signing_alg_values_supported, clientSecret);
      }
    }
    return this.#algorithms;
  }
}
