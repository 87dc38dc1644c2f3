import type { DevClient, JsonObject, JsonValue } from '../types.js';
import type { Keypair } from './keypairs.js';
import type { DevOutpostProvider, DevOutpostRawPatch, DevOutpostSettings } from './types.js';

/**
 * The JSON authentik's API serves, built from the dev IdP's state. Field names and types follow
 * the generated client models (client-go, API 2025.12): the Go outpost decodes them strictly.
 */

/** authentik's `OpenIDConnectConfiguration`: these keys of the provider's discovery document. */
const OIDC_CONFIGURATION_KEYS = [
  'issuer', 'authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'end_session_endpoint', 'introspection_endpoint',
  'jwks_uri', 'response_types_supported', 'id_token_signing_alg_values_supported', 'subject_types_supported',
  'token_endpoint_auth_methods_supported',
] as const;

/** Picks `oidc_configuration` out of a discovery document; a missing key would make the outpost fail, so it throws. */
export function oidcConfiguration(discovery: Readonly<Record<string, unknown>>): JsonObject {
  const picked: Record<string, JsonValue> = {};
  for (const key of OIDC_CONFIGURATION_KEYS) {
    const value = discovery[key];
    if (value === undefined) throw new Error(`the discovery document has no "${key}"`);
    picked[key] = value as JsonValue;
  }
  return picked;
}

export interface OutpostIdentity {
  readonly pk: string;
  readonly settings: DevOutpostSettings;
  /** `config.authentik_host`: the IdP's base URL. */
  readonly authentikHost: string;
}

/** `Outpost` (`GET /api/v3/outposts/instances/`). */
export function outpostInstance(outpost: OutpostIdentity, providerPks: readonly number[]): JsonObject {
  return {
    pk: outpost.pk,
    name: outpost.settings.name,
    type: 'proxy',
    providers: [...providerPks],
    providers_obj: [],
    service_connection: null,
    refresh_interval_s: outpost.settings.refreshIntervalS,
    token_identifier: `ak-outpost-${outpost.pk}-api`,
    config: {
      authentik_host: outpost.authentikHost,
      authentik_host_insecure: false,
      authentik_host_browser: '',
      log_level: 'info',
      refresh_interval: refreshInterval(outpost.settings.refreshIntervalS),
      object_naming_template: 'ak-outpost-%(name)s',
    },
    // null: not the embedded outpost, so the outpost applies `log_level` from config.
    managed: null,
  };
}

/** authentik stores the interval as a timedelta string and derives `refresh_interval_s` from it. */
function refreshInterval(seconds: number): string {
  return seconds % 60 === 0 ? `minutes=${seconds / 60}` : `seconds=${seconds}`;
}

export interface ProviderServing {
  readonly client: DevClient;
  readonly oidcConfiguration: JsonObject;
  readonly cookieSecret: string;
  readonly keypairPk: string | null;
  readonly rawPatch: DevOutpostRawPatch;
}

/** `ProxyOutpostConfig` (`GET /api/v3/outposts/proxy/`), with the test's raw patch applied last. */
export function proxyOutpostConfig(provider: DevOutpostProvider, serving: ProviderServing): JsonObject {
  const config: Record<string, JsonValue> = {
    pk: provider.pk,
    name: provider.name,
    internal_host: provider.internalHost,
    external_host: provider.externalHost,
    internal_host_ssl_validation: provider.internalHostSslValidation,
    client_id: serving.client.id,
    client_secret: serving.client.secret,
    oidc_configuration: serving.oidcConfiguration,
    cookie_secret: serving.cookieSecret,
    certificate: serving.keypairPk,
    skip_path_regex: provider.skipPathRegex,
    basic_auth_enabled: provider.basicAuthEnabled,
    basic_auth_password_attribute: provider.basicAuthPasswordAttribute,
    basic_auth_user_attribute: provider.basicAuthUserAttribute,
    mode: provider.mode,
    cookie_domain: provider.cookieDomain,
    access_token_validity: provider.accessTokenValidity,
    intercept_header_auth: provider.interceptHeaderAuth,
    scopes_to_request: [...provider.scopes],
    assigned_application_slug: provider.slug,
    assigned_application_name: provider.applicationName,
  };
  for (const [key, value] of Object.entries(serving.rawPatch)) {
    if (value === undefined) delete config[key];
    else config[key] = value;
  }
  return config;
}

const KEYPAIRS_PATH = '/api/v3/crypto/certificatekeypairs/';

/** `CertificateKeyPair` (`GET /api/v3/crypto/certificatekeypairs/<kp>/`), every field authentik's serializer has. */
export function certificateKeyPair(keypair: Keypair): JsonObject {
  return {
    pk: keypair.pk,
    name: keypair.name,
    fingerprint_sha256: keypair.fingerprintSha256,
    fingerprint_sha1: keypair.fingerprintSha1,
    cert_expiry: keypair.expiry,
    cert_subject: keypair.subject,
    private_key_available: true,
    key_type: keypair.keyType,
    certificate_download_url: `${KEYPAIRS_PATH}${keypair.pk}/view_certificate/?download`,
    private_key_download_url: `${KEYPAIRS_PATH}${keypair.pk}/view_private_key/?download`,
    managed: null,
  };
}

/** `GET /api/v3/root/config/`: the outpost only needs it to answer; error reporting stays off. */
export const ROOT_CONFIG: JsonObject = {
  error_reporting: { enabled: false, sentry_dsn: '', environment: 'portcullis-devidp', send_pii: false, traces_sample_rate: 0 },
  capabilities: [],
  cache_timeout: 300,
  cache_timeout_flows: 300,
  cache_timeout_policies: 300,
  cache_timeout_reputation: 300,
};
