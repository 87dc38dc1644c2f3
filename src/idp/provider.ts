/**
 * One relying-party registration at one identity provider: the issuer's metadata, fetched
 * once by discovery and kept, and how the client authenticates there. Every later IdP call of
 * an application goes through here.
 */

import type * as oauth from 'oauth4webapi';
import * as oidc from 'openid-client';
import { PortcullisError } from '../errors/index.js';
import type { IdentityConfig, ProviderMetadata } from '../config/index.js';
import { chooseClientAuthMethod, clientAuthentication, readClientKey, type ClientAuthMethod, type ClientKey } from './client-auth.js';
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
  /** Read in the constructor: an unusable key stops the start. */
  readonly #clientKey: ClientKey | null;
  #clientAuth: { readonly method: ClientAuthMethod; readonly apply: oauth.ClientAuth } | null = null;
  #insecureRequests = false;
  /** The fetch every call to this IdP goes through. */
  readonly fetch: Fetch;

  /** @throws PortcullisError PCL_IDP_CLIENT_KEY when `identity.clientKeyFile` cannot be used */
  constructor(options: ProviderOptions) {
    this.#options = options;
    this.fetch = observedFetch(options.observer, (url) => this.#endpointOf(url), { tlsVerify: options.identity.tlsVerify });
    this.issuer = options.identity.issuer;
    this.clientId = options.identity.clientId;
    const { clientAuth, clientKeyFile, clientKeyId } = options.identity;
    this.#clientKey = clientAuth === 'private_key_jwt' ? readClientKey(clientKeyFile, clientKeyId) : null;
  }

  /** The client authentication method in use; undefined before discovery (`auto` needs the metadata). */
  get clientAuthMethod(): ClientAuthMethod | undefined {
    return this.#clientAuth?.method;
  }

  /**
   * Plain-http endpoints may be called: an http issuer (loopback unless `allowInsecureHttp`, as
   * config validation enforces) or given http endpoints. For calls made below openid-client.
   */
  get insecureRequests(): boolean {
    return this.#insecureRequests;
  }

  /**
   * The client authentication for calls made below openid-client (oauth4webapi's code
   * exchange); openid-client's calls get it from `configuration()`.
   */
  async clientAuthentication(): Promise<oauth.ClientAuth> {
    await this.configuration();
    if (this.#clientAuth === null) {
      throw new Error('client authentication is set with the configuration');
    }
    return this.#clientAuth.apply;
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
    return this.#options.keySets.forUrl(this.#jwksUri, this.fetch, this.#options.identity.tlsVerify);
  }

  /**
   * The configuration every openid-client call uses, client authentication included: chosen
   * here, once the IdP's `token_endpoint_auth_methods_supported` is known.
   */
  async #configure(metadata: oidc.ServerMetadata, insecure: boolean): Promise<oidc.Configuration> {
    const { identity, timeoutMs } = this.#options;
    const method = chooseClientAuthMethod(identity.clientAuth, identity.clientSecret, metadata.token_endpoint_auth_methods_supported);
    const apply = await clientAuthentication(method, identity.clientSecret, this.#clientKey, metadata.token_endpoint_auth_signing_alg_values_supported);
    const configuration = new oidc.Configuration(metadata, identity.clientId, { token_endpoint_auth_method: method }, apply);
    // openid-client counts in seconds and takes fractions: `idp: "500ms"` must mean 0.5 s, not
    // a whole second, or a stalled IdP holds callers twice as long as configured.
    configuration.timeout = timeoutMs / 1000;
    configuration[oidc.customFetch] = this.fetch;
    if (insecure) {
      oidc.allowInsecureRequests(configuration);
    }
    this.#insecureRequests = insecure;
    this.#clientAuth = { method, apply };
    this.#jwksUri = metadata.jwks_uri;
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
    const { identity } = this.#options;
    if (identity.metadata !== null) {
      // Given endpoints (authentik's API hands them out): no discovery call. Plain-http ones pass
      // config validation only on loopback or with allowInsecureHttp.
      const metadata = identity.metadata;
      const insecure = identity.issuer.startsWith('http:') || Object.values(metadata).some((url) => typeof url === 'string' && url.startsWith('http:'));
      return this.#configure(serverMetadata(identity.issuer, metadata), insecure);
    }
    // Plain-http issuers are only accepted on loopback (enforced by config validation).
    return this.#configure(await this.#discoveredMetadata(), identity.issuer.startsWith('http:'));
  }

  async #discoveredMetadata(): Promise<oidc.ServerMetadata> {
    const { identity, timeoutMs } = this.#options;
    const issuer = new URL(identity.issuer);
    try {
      // Discovery authenticates nothing; the client's own method is chosen from what it finds.
      const discovered = await oidc.discovery(issuer, identity.clientId, undefined, oidc.None(), {
        timeout: timeoutMs / 1000,
        [oidc.customFetch]: this.fetch,
        ...(issuer.protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : {}),
      });
      return discovered.serverMetadata();
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
