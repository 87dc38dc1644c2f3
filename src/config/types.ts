/**
 * The validated, immutable configuration, its types inferred from the declarations in keys/.
 * Produced once by `loadConfig`; nothing else in Portcullis reads YAML or `process.env`.
 * Durations are milliseconds (`lifetime` → `lifetimeMs`), addresses are parsed, paths resolved.
 */

import type { ParsedConfig } from './keys/root.js';

/** Everything reachable is read-only: the configuration is deep-frozen after loading. */
export type DeepReadonly<T> = T extends readonly (infer I)[]
  ? readonly DeepReadonly<I>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

export type { ListenAddress } from './values/network.js';

export interface Config extends DeepReadonly<Omit<ParsedConfig, 'identity'>> {
  /** Absolute path of the file this was loaded from ('' when built in memory). */
  readonly source: string;
}

export type LogConfig = Config['log'];
export type LogLevel = LogConfig['level'];
export type SessionsConfig = Config['sessions'];
export type RedisConfig = SessionsConfig['redis'];
export type TimeoutsConfig = Config['timeouts'];
export type LimitsConfig = Config['limits'];
/** Brute-force limits on Basic credentials; a limit of 0 is off. */
export type FailedLoginsConfig = LimitsConfig['failedLogins'];
export type CacheConfig = Config['cache'];
/** A certificate of the HTTPS listener: PEM from a file or inline (`file` resolved to an absolute path). */
export type TlsCertificate = Config['tls']['certificates'][number];

export type ApplicationConfig = Config['applications'][number];
export type ApplicationMode = ApplicationConfig['mode'];
export type HeaderAuthConfig = ApplicationConfig['headerAuth'];
export type CredentialHeader = HeaderAuthConfig['header'];
export type UpstreamBasicAuthConfig = ApplicationConfig['upstreamBasicAuth'];
export type ApplicationPolicies = ApplicationConfig['policies'];
export type PolicyBinding = ApplicationPolicies['bindings'][number];

/** The top-level identity block with an application's overrides applied. */
export type IdentityConfig = ApplicationConfig['identity'];
/** The IdP's endpoints when they are given rather than discovered (discovery metadata names). */
export type ProviderMetadata = NonNullable<IdentityConfig['metadata']>;
export type BasicGrant = IdentityConfig['basicGrant'];
export type BearerConfig = IdentityConfig['bearer'];
export type BearerValidation = BearerConfig['validation'];
export type ClaimsConfig = IdentityConfig['claims'];
