/**
 * One relying-party registration at one identity provider: the issuer's metadata, fetched
 * once by discovery and kept. Every later IdP call of an application goes through here.
 */

import * as oidc from 'openid-client';
import { PortcullisError } from '../errors/index.js';
import type { IdentityConfig } from '../config/index.js';
import { JwksCache } from './jwks.js';
import { observedFetch, type Fetch, type IdpCallObserver, type IdpEndpoint } from './observed-fetch.js';

export interface ProviderOptions {
  readonly identity: IdentityConfig;
  readonly timeoutMs: number;
  /** Minimum time between two JWKS fetches triggered by unknown key ids. */
  readonly jwksCooldownMs: number;
  /** Age after which the key set is refreshed in the background. */
  readonly jwksMaxAgeMs: number;
  readonly onJwksError?: (error: unknown) => void;
  /** Told about every call to this IdP (metrics). */
  readonly observer?: IdpCallObserver;
}

export class IdentityProvider {
  readonly issuer: string;
  readonly clientId: string;
  #configuration: oidc.Configuration | null = null;
  /** `jwks_uri` as discovered; `serverMetadata()` deep-copies the whole document on every call. */
  #jwksUri: string | undefined = undefined;
  #pending: Promise<oidc.Configuration> | null = null;
  #jwks: JwksCache | null = null;
  readonly #options: ProviderOptions;
  /** The fetch every call to this IdP goes through. */
  readonly fetch: Fetch;

  constructor(options: ProviderOptions) {
    this.#options = options;
    this.fetch = observedFetch(options.observer, (url) => this.#endpointOf(url));
    this.issuer = options.identity.issuer;
    this.clientId = options.identity.clientId;
  }

  /** The discovered `jwks_uri`, or undefined before discovery. */
  get jwksUri(): string | undefined {
    return this.#jwksUri;
  }

  /** This registration's identity settings (client secret, scopes, claims). */
  get identity(): IdentityConfig {
    return this.#options.identity;
  }

  get timeoutMs(): number {
    return this.#options.timeoutMs;
  }

  get discovered(): boolean {
    return this.#configuration !== null;
  }

  /** The discovered configuration; concurrent callers share one discovery request. */
  async configuration(): Promise<oidc.Configuration> {
    if (this.#configuration !== null) {
      return this.#configuration;
    }
    this.#pending ??= this.#discover().finally(() => {
      this.#pending = null;
    });
    return this.#pending;
  }

  /** The IdP's signing keys, from the discovered `jwks_uri`. */
  async jwks(): Promise<JwksCache> {
    if (this.#jwks !== null) {
      return this.#jwks;
    }
    const uri = (await this.configuration()).serverMetadata().jwks_uri;
    if (uri === undefined) {
      throw new PortcullisError('PCL_IDP_DISCOVERY', `${this.issuer} advertises no jwks_uri`);
    }
    this.#jwks ??= new JwksCache({
      url: uri,
      timeoutMs: this.#options.timeoutMs,
      cooldownMs: this.#options.jwksCooldownMs,
      maxAgeMs: this.#options.jwksMaxAgeMs,
      fetch: this.fetch,
      ...(this.#options.onJwksError ? { onRefreshError: this.#options.onJwksError } : {}),
    });
    return this.#jwks;
  }

  #endpointOf(url: string): IdpEndpoint {
    const metadata = this.#configuration?.serverMetadata();
    const target = url.split('?')[0];
    if (metadata === undefined) {
      return 'discovery';
    }
    const endpoints: [string | undefined, IdpEndpoint][] = [
      [metadata.token_endpoint, 'token'],
      [metadata.introspection_endpoint, 'introspection'],
      [metadata.jwks_uri, 'jwks'],
      [metadata.revocation_endpoint, 'revocation'],
      [metadata.userinfo_endpoint, 'userinfo'],
    ];
    return endpoints.find(([endpoint]) => endpoint === target)?.[1] ?? (target?.endsWith('/.well-known/openid-configuration') ? 'discovery' : 'other');
  }

  async #discover(): Promise<oidc.Configuration> {
    const { identity, timeoutMs } = this.#options;
    const issuer = new URL(identity.issuer);
    const auth = identity.clientSecret === '' ? oidc.None() : oidc.ClientSecretPost(identity.clientSecret);
    try {
      const configuration = await oidc.discovery(issuer, identity.clientId, undefined, auth, {
        // openid-client counts in seconds and takes fractions: `idp: "500ms"` must mean 0.5 s, not
        // a whole second, or a stalled IdP holds callers twice as long as configured.
        timeout: timeoutMs / 1000,
        [oidc.customFetch]: this.fetch,
        // Plain-http issuers are only accepted on loopback (enforced by config validation).
        ...(issuer.protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : {}),
      });
      this.#jwksUri = configuration.serverMetadata().jwks_uri;
      this.#configuration = configuration;
      return configuration;
    } catch (error) {
      throw new PortcullisError('PCL_IDP_DISCOVERY', `discovery of ${identity.issuer} failed: ${describe(error)}`, { cause: error });
    }
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}
