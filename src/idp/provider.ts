/**
 * One relying-party registration at one identity provider: the issuer's metadata, fetched
 * once by discovery and kept. Every later IdP call of an application goes through here.
 */

import * as oidc from 'openid-client';
import { PortcullisError } from '../errors/index.js';
import type { IdentityConfig, ProviderMetadata } from '../config/index.js';
import type { JwksCache } from './jwks.js';
import type { KeySets } from './key-sets.js';
import { observedFetch, type Fetch, type IdpCallObserver, type IdpEndpoint } from './observed-fetch.js';

export interface ProviderOptions {
  readonly identity: IdentityConfig;
  readonly timeoutMs: number;
  /** The key caches, shared with every other registration at the same `jwks_uri`. */
  readonly keySets: KeySets;
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
    if (this.#jwksUri === undefined) {
      await this.configuration();
      if (this.#jwksUri === undefined) {
        throw new PortcullisError('PCL_IDP_DISCOVERY', `${this.issuer} advertises no jwks_uri`);
      }
    }
    return this.#options.keySets.forUrl(this.#jwksUri);
  }

  /** Given endpoints (authentik's API hands them out): the same configuration, no discovery call. */
  #fromMetadata(metadata: ProviderMetadata, auth: oidc.ClientAuth): oidc.Configuration {
    const { identity, timeoutMs } = this.#options;
    const configuration = new oidc.Configuration(serverMetadata(identity.issuer, metadata), identity.clientId, undefined, auth);
    configuration.timeout = timeoutMs / 1000;
    configuration[oidc.customFetch] = this.fetch;
    // Plain-http endpoints pass config validation only on loopback or with allowInsecureHttp.
    if (Object.values(metadata).some((url) => typeof url === 'string' && url.startsWith('http:')) || identity.issuer.startsWith('http:')) {
      oidc.allowInsecureRequests(configuration);
    }
    return this.#adopt(configuration);
  }

  #adopt(configuration: oidc.Configuration): oidc.Configuration {
    this.#jwksUri = configuration.serverMetadata().jwks_uri;
    this.#configuration = configuration;
    return configuration;
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
    if (identity.metadata !== null) {
      return this.#fromMetadata(identity.metadata, auth);
    }
    try {
      const configuration = await oidc.discovery(issuer, identity.clientId, undefined, auth, {
        // openid-client counts in seconds and takes fractions: `idp: "500ms"` must mean 0.5 s, not
        // a whole second, or a stalled IdP holds callers twice as long as configured.
        timeout: timeoutMs / 1000,
        [oidc.customFetch]: this.fetch,
        // Plain-http issuers are only accepted on loopback (enforced by config validation).
        ...(issuer.protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : {}),
      });
      return this.#adopt(configuration);
    } catch (error) {
      throw new PortcullisError('PCL_IDP_DISCOVERY', `discovery of ${identity.issuer} failed: ${describe(error)}`, { cause: error });
    }
  }
}

/** Discovery metadata from configuration: the keys that are set, under their discovery names. */
function serverMetadata(issuer: string, metadata: ProviderMetadata): oidc.ServerMetadata {
  const entries = Object.entries(metadata).filter(([, value]) => value !== null && !(Array.isArray(value) && value.length === 0));
  return { ...(Object.fromEntries(entries) as Partial<oidc.ServerMetadata>), issuer };
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}
