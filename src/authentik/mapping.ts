/**
 * One authentik Proxy Provider as one Portcullis application, written as the configuration file
 * would write it, so the same schema validates it: a provider is checked exactly like an
 * application in YAML, and a problem is reported under the authentik field it came from.
 */

import { isPlainObject } from '../config/index.js';
import type { ProxyOutpostConfig } from './api-types.js';

export interface MappedProvider {
  /** As authentik gives it (a number), for logs that name the provider. */
  readonly pk: number | string;
  readonly name: string;
  /** One entry of `applications`, in the configuration file's shape. */
  readonly application: Record<string, unknown>;
  /** The keypair to serve for its host on the HTTPS listener, or null. */
  readonly certificate: string | null;
}

export interface MappingOptions {
  /** AUTHENTIK_HOST is plain http: the IdP URLs it hands out may be too. */
  readonly plainHttpApi: boolean;
  /** AUTHENTIK_HOST_BROWSER: where browsers reach authentik, when not where the outpost does. */
  readonly browserHost: URL | null;
  /** AUTHENTIK_INSECURE: authentik's TLS certificate is not verified, for its IdP endpoints either. */
  readonly insecure: boolean;
}

/** The metadata keys an outpost uses from `oidc_configuration` (discovery names). */
const METADATA_KEYS = [
  'authorization_endpoint',
  'token_endpoint',
  'userinfo_endpoint',
  'end_session_endpoint',
  'introspection_endpoint',
  'revocation_endpoint',
  'jwks_uri',
  'id_token_signing_alg_values_supported',
  'token_endpoint_auth_methods_supported',
] as const;

/** Endpoints a browser is sent to: rewritten to AUTHENTIK_HOST_BROWSER, as authentik's outpost does. */
const BROWSER_ENDPOINTS = new Set(['authorization_endpoint', 'end_session_endpoint']);

export function mapProvider(provider: ProxyOutpostConfig, options: MappingOptions): MappedProvider {
  const mode = provider.mode ?? 'proxy';
  const oidc = isPlainObject(provider.oidc_configuration) ? provider.oidc_configuration : {};
  const application: Record<string, unknown> = {
    name: provider.assigned_application_slug,
    slug: provider.assigned_application_slug,
    providerName: provider.name,
    externalHost: provider.external_host,
    mode,
    internalHostTlsVerify: provider.internal_host_ssl_validation ?? true,
    // authentik's outpost leaves the client's Host on the upstream request.
    preserveHost: true,
    skipPathRegex: skipPaths(provider.skip_path_regex),
    headerAuth: { intercept: provider.intercept_header_auth ?? true },
    upstreamBasicAuth: {
      enabled: provider.basic_auth_enabled ?? false,
      ...attribute('usernameAttribute', provider.basic_auth_user_attribute),
      ...attribute('passwordAttribute', provider.basic_auth_password_attribute),
    },
    identity: {
      issuer: oidc.issuer,
      clientId: provider.client_id,
      clientSecret: provider.client_secret ?? '',
      ...(provider.scopes_to_request === undefined ? {} : { scopes: provider.scopes_to_request }),
      basicGrant: 'client_credentials',
      // authentik's outposts check Bearer tokens at the introspection endpoint.
      bearer: { validation: 'introspection' },
      allowInsecureHttp: options.plainHttpApi,
      tlsVerify: !options.insecure,
      metadata: metadataOf(oidc, options.browserHost),
    },
  };
  // authentik keeps these fields whatever the mode; Portcullis refuses a key its mode ignores.
  if (mode === 'proxy') application.internalHost = provider.internal_host ?? '';
  if (mode === 'forward_domain') application.cookieDomain = provider.cookie_domain ?? '';
  const lifetime = provider.access_token_validity;
  if (typeof lifetime === 'number' && Number.isFinite(lifetime) && lifetime > 0) {
    application.sessionLifetime = `${Math.max(1, Math.round(lifetime * 1000))}ms`;
  } else if (lifetime !== null && lifetime !== undefined) {
    application.sessionLifetime = lifetime;
  }
  return {
    pk: typeof provider.pk === 'number' || typeof provider.pk === 'string' ? provider.pk : '?',
    name: typeof provider.name === 'string' ? provider.name : '?',
    application,
    certificate: typeof provider.certificate === 'string' && provider.certificate !== '' ? provider.certificate : null,
  };
}

/**
 * authentik stores one regex a line. Blank lines are dropped: authentik's outpost compiles one to
 * the empty pattern, which matches every path and so would unprotect the whole application.
 */
function skipPaths(value: unknown): unknown {
  if (value === undefined || value === null) return [];
  if (typeof value !== 'string') return value;
  return value
    .split('\n')
    .map((line) => line.replace(/\r$/, ''))
    .filter((line) => line.trim() !== '');
}

function attribute(key: string, value: unknown): Record<string, unknown> {
  return value === undefined || value === null || value === '' ? {} : { [key]: value };
}

function metadataOf(oidc: Readonly<Record<string, unknown>>, browserHost: URL | null): Record<string, unknown> {
  const metadata: Record<string, unknown> = {};
  for (const key of METADATA_KEYS) {
    const value = oidc[key];
    if (value === undefined || value === null) continue;
    metadata[key] = browserHost !== null && BROWSER_ENDPOINTS.has(key) && typeof value === 'string' ? onBrowserHost(value, browserHost) : value;
  }
  return metadata;
}

function onBrowserHost(endpoint: string, browserHost: URL): string {
  try {
    const url = new URL(endpoint);
    return `${browserHost.origin}${url.pathname}${url.search}`;
  } catch {
    return endpoint;
  }
}

/** Portcullis keys (under an application) and the authentik fields they are written from. */
const ORIGINS: readonly (readonly [string, string])[] = [
  ['identity.metadata.', 'oidc_configuration.'],
  ['identity.issuer', 'oidc_configuration.issuer'],
  ['identity.allowInsecureHttp', 'oidc_configuration'],
  ['identity.clientId', 'client_id'],
  ['identity.clientSecret', 'client_secret'],
  ['identity.scopes', 'scopes_to_request'],
  ['identity', 'oidc_configuration'],
  ['name', 'assigned_application_slug'],
  ['slug', 'assigned_application_slug'],
  ['providerName', 'name'],
  ['externalHost', 'external_host'],
  ['mode', 'mode'],
  ['internalHostTlsVerify', 'internal_host_ssl_validation'],
  ['internalHost', 'internal_host'],
  ['cookieDomain', 'cookie_domain'],
  ['skipPathRegex', 'skip_path_regex'],
  ['headerAuth', 'intercept_header_auth'],
  ['upstreamBasicAuth.enabled', 'basic_auth_enabled'],
  ['upstreamBasicAuth.usernameAttribute', 'basic_auth_user_attribute'],
  ['upstreamBasicAuth.passwordAttribute', 'basic_auth_password_attribute'],
  ['sessionLifetime', 'access_token_validity'],
];

/** The authentik field a problem at `key` (a path under the application, `identity.clientId`) is about. */
export function authentikFieldOf(key: string): string {
  for (const [portcullis, authentik] of ORIGINS) {
    if (portcullis.endsWith('.') && key.startsWith(portcullis)) return `${authentik}${key.slice(portcullis.length)}`;
    if (key === portcullis || key.startsWith(`${portcullis}.`) || key.startsWith(`${portcullis}[`)) return authentik;
  }
  return key;
}
