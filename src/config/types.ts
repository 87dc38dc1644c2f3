/**
 * The validated, immutable configuration. Produced once by `loadConfig`; nothing else in
 * Portcullis reads YAML or `process.env`. Durations are milliseconds, addresses are parsed.
 */

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export type ApplicationMode = 'proxy' | 'forward_single' | 'forward_domain';
export type BasicGrant = 'client_credentials' | 'password';
export type BearerValidation = 'jwt' | 'introspection' | 'jwt+introspection';
export type CredentialHeader = 'authorization' | 'proxy-authorization';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export interface LogConfig {
  readonly level: LogLevel;
  readonly format: 'json' | 'pretty';
}

export interface RedisConfig {
  /** redis://, rediss:// or redis+sentinel:// URL; ignored when `cluster` is non-empty. */
  readonly url: string;
  /** Seed node URLs of a Redis Cluster. */
  readonly cluster: readonly string[];
  readonly keyPrefix: string;
}

export interface SessionsConfig {
  readonly store: 'memory' | 'redis';
  readonly redis: RedisConfig;
  /** Empty means: authentik_proxy_<first 8 hex of sha256(clientId)>. */
  readonly cookieName: string;
  readonly lifetimeMs: number;
}

export interface ClaimsConfig {
  readonly username: string;
  readonly groups: string;
  readonly entitlements: string;
  /** Dotted path into the claims, e.g. `ak_proxy.user_attributes`. */
  readonly attributes: string;
}

export interface BearerConfig {
  readonly validation: BearerValidation;
  /** Accepted `aud` values; the validator defaults an empty list to `[clientId]`. */
  readonly audiences: readonly string[];
  /** Allowed JWS algorithms; empty means the IdP's advertised ones (never `none`). */
  readonly algorithms: readonly string[];
}

/** The IdP's endpoints when they are given rather than discovered (discovery metadata names). */
export interface ProviderMetadata {
  readonly authorization_endpoint: string | null;
  readonly token_endpoint: string | null;
  readonly userinfo_endpoint: string | null;
  readonly end_session_endpoint: string | null;
  readonly introspection_endpoint: string | null;
  readonly revocation_endpoint: string | null;
  readonly jwks_uri: string | null;
  readonly id_token_signing_alg_values_supported: readonly string[];
  readonly token_endpoint_auth_methods_supported: readonly string[];
}

export interface IdentityConfig {
  readonly issuer: string;
  /** Plain-http IdP URLs accepted on non-loopback hosts. */
  readonly allowInsecureHttp: boolean;
  /** Verify the IdP's TLS certificate (false: AUTHENTIK_INSECURE). */
  readonly tlsVerify: boolean;
  /** Given endpoints (no discovery call), or null to discover them. */
  readonly metadata: ProviderMetadata | null;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly scopes: readonly string[];
  readonly basicGrant: BasicGrant;
  readonly bearer: BearerConfig;
  readonly claims: ClaimsConfig;
  /**
   * How the client authenticates at the token, introspection and revocation endpoints
   * (RFC 6749 §2.3, OpenID Connect Core §9). `auto`: `none` without a clientSecret, else the first
   * of `client_secret_basic` / `client_secret_post` the IdP advertises, basic when it advertises
   * neither (RFC 8414 §2).
   */
  readonly clientAuth: 'auto' | 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none';
  /** Absolute path of the PEM private key signing `private_key_jwt` assertions; '' otherwise. */
  readonly clientKeyFile: string;
  /** `kid` header of the assertions; '' sends none. */
  readonly clientKeyId: string;
  /** When the UserInfo endpoint is asked: `auto` only when configured claims are missing from the ID token. */
  readonly userinfo: 'auto' | 'always' | 'never';
  /**
   * `post_logout_redirect_uri` sent at sign-out (RP-Initiated Logout 1.0 §2): null means the
   * application's externalHost root (`<externalHost>/`), '' sends none.
   */
  readonly postLogoutRedirectUri: string | null;
}

export interface HeaderAuthConfig {
  readonly intercept: boolean;
  readonly header: CredentialHeader;
  readonly basic: boolean;
  readonly bearer: boolean;
}

export interface UpstreamBasicAuthConfig {
  readonly enabled: boolean;
  readonly usernameAttribute: string;
  readonly passwordAttribute: string;
}

export interface PolicyBinding {
  readonly policy: string;
  readonly negate: boolean;
}

export interface ApplicationPolicies {
  readonly mode: 'all' | 'any';
  readonly bindings: readonly PolicyBinding[];
}

export interface ApplicationConfig {
  readonly name: string;
  /** `X-authentik-meta-app`; the name unless set. */
  readonly slug: string;
  /** `X-authentik-meta-provider`; the clientId unless set. */
  readonly providerName: string;
  /** Upper bound of this application's sessions; null: `sessions.lifetime`. */
  readonly sessionLifetimeMs: number | null;
  /** Origin only (scheme://host[:port]), no trailing slash. */
  readonly externalHost: string;
  readonly mode: ApplicationMode;
  /** Origin plus optional base path; null outside proxy mode. */
  readonly internalHost: string | null;
  readonly internalHostTlsVerify: boolean;
  /** Send the client's Host upstream (proxy mode). */
  readonly preserveHost: boolean;
  readonly cookieDomain: string;
  readonly skipPathRegex: readonly string[];
  readonly headerAuth: HeaderAuthConfig;
  readonly redirectBrowsersOnly: boolean;
  readonly upstreamBasicAuth: UpstreamBasicAuthConfig;
  readonly additionalHeaders: Readonly<Record<string, string>>;
  readonly policies: ApplicationPolicies;
  /** The top-level identity block with this application's overrides applied. */
  readonly identity: IdentityConfig;
}

export interface TimeoutsConfig {
  /** Opening a connection to an upstream app. */
  readonly upstreamConnectMs: number;
  /** Waiting for an upstream app's response headers; past it the client gets 504. */
  readonly upstreamResponseMs: number;
  /** Any single call to the identity provider. */
  readonly idpMs: number;
  /** How long SIGTERM waits for in-flight requests before closing them. */
  readonly shutdownMs: number;
  /** Receiving a whole request, body included (Node `requestTimeout`). */
  readonly requestMs: number;
  /** Receiving a request's headers (Node `headersTimeout`); never more than `requestMs`. */
  readonly headersMs: number;
  /** Idle time of a keep-alive connection between two requests (Node `keepAliveTimeout`). */
  readonly keepAliveMs: number;
}

/** Brute-force limits on Basic credentials; a limit of 0 is off. */
export interface FailedLoginsConfig {
  /** Failed checks per canonical username per window. */
  readonly perUser: number;
  /** Failed checks per client address (IPv6: per /64) per window. */
  readonly perAddress: number;
  readonly windowMs: number;
}

export interface LimitsConfig {
  /** Bytes of request line plus headers (Node `maxHeaderSize`). */
  readonly maxHeaderSize: number;
  /** Characters of the request target; always less than `maxHeaderSize`. */
  readonly maxUrlLength: number;
  /** Bytes of a proxied request body; 0 is unlimited. */
  readonly maxRequestBody: number;
  readonly failedLogins: FailedLoginsConfig;
}

export interface CacheConfig {
  /** Upper bound on how long a checked header credential is remembered. */
  readonly credentialTtlMs: number;
  /** Bound on remembered credentials; 0 disables the cache. */
  readonly maxCredentials: number;
  /** Least time between two JWKS fetches triggered by unknown key ids. */
  readonly jwksCooldownMs: number;
  /** Age after which the key set is refreshed in the background. */
  readonly jwksMaxAgeMs: number;
}

/** A certificate of the HTTPS listener: PEM from a file or inline (`file` resolved to an absolute path). */
export interface TlsCertificate {
  readonly certFile: string;
  readonly keyFile: string;
  readonly cert: string;
  readonly key: string;
}

export interface Config {
  /** Absolute path of the file this was loaded from ('' when built in memory). */
  readonly source: string;
  /** `X-authentik-meta-outpost`. */
  readonly outpostName: string;
  /** Gateway processes on the same listeners; `auto` is resolved at start-up to the machine's cores. */
  readonly workers: number | 'auto';
  readonly listen: ListenAddress;
  /** Null when `metricsListen` is the empty string. */
  readonly metricsListen: ListenAddress | null;
  /** The HTTPS listener; null when off. */
  readonly tlsListen: ListenAddress | null;
  readonly tls: { readonly certificates: readonly TlsCertificate[] };
  readonly secret: string;
  /** CIDR ranges, normalized (`127.0.0.1/32`, `::1/128`). */
  readonly trustedProxies: readonly string[];
  readonly log: LogConfig;
  /** Absolute path. */
  readonly policiesDir: string;
  /** Absolute path of the page templates' folder; '' for the built-in pages. */
  readonly pagesDir: string;
  readonly sessions: SessionsConfig;
  readonly timeouts: TimeoutsConfig;
  readonly limits: LimitsConfig;
  readonly cache: CacheConfig;
  readonly applications: readonly ApplicationConfig[];
}
