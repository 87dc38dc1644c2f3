/**
 * authentik Proxy Providers as Portcullis applications (hermetic: no API, no network). Each
 * provider is validated by the configuration schema; a bad one is skipped and named by its
 * pk, name and the authentik field at fault, the others are served.
 */

import { describe, expect, it } from 'vitest';
import { authentikSettingsFrom, localSettingsConfig } from '../../src/authentik/index.js';
import { assembleConfig } from '../../src/authentik/assemble.js';
import type { ConfigDocument } from '../../src/config/index.js';

const settings = authentikSettingsFrom({ AUTHENTIK_HOST: 'https://authentik.example.com', AUTHENTIK_TOKEN: 'outpost-token-1' });
const OUTPOST = { pk: 'a5d2e4f0-1111-2222-3333-444455556666', name: 'edge', refreshIntervalS: 300 };

function oidc(slug: string): Record<string, unknown> {
  const base = `https://authentik.example.com/application/o/${slug}/`;
  return {
    issuer: base,
    authorization_endpoint: 'https://authentik.example.com/application/o/authorize/',
    token_endpoint: 'https://authentik.example.com/application/o/token/',
    userinfo_endpoint: 'https://authentik.example.com/application/o/userinfo/',
    end_session_endpoint: `${base}end-session/`,
    introspection_endpoint: 'https://authentik.example.com/application/o/introspect/',
    jwks_uri: `${base}jwks/`,
    response_types_supported: ['code'],
    id_token_signing_alg_values_supported: ['RS256'],
    subject_types_supported: ['public'],
    token_endpoint_auth_methods_supported: ['client_secret_post'],
  };
}

function provider(pk: number, slug: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    pk,
    name: `${slug}-provider`,
    internal_host: 'http://10.0.0.5:3000',
    external_host: `https://${slug}.example.com`,
    internal_host_ssl_validation: true,
    client_id: `${slug}-client`,
    client_secret: `${slug}-secret`,
    oidc_configuration: oidc(slug),
    cookie_secret: 'x',
    certificate: null,
    skip_path_regex: '',
    basic_auth_enabled: false,
    basic_auth_password_attribute: '',
    basic_auth_user_attribute: '',
    mode: 'proxy',
    cookie_domain: '',
    access_token_validity: 600,
    intercept_header_auth: true,
    scopes_to_request: ['openid', 'profile', 'email', 'ak_proxy'],
    assigned_application_slug: slug,
    assigned_application_name: slug.toUpperCase(),
    ...overrides,
  };
}

function assemble(providers: Record<string, unknown>[], local: ConfigDocument | null = null) {
  return assembleConfig({ settings, local, outpost: OUTPOST, providers });
}

describe('a Proxy Provider', () => {
  it('becomes an application with its own client, endpoints, hosts and meta names', () => {
    const { config, skipped } = assemble([
      provider(1, 'grafana', {
        skip_path_regex: '^/public/\r\n\n^/health$\n',
        basic_auth_enabled: true,
        basic_auth_user_attribute: 'grafana_user',
        intercept_header_auth: false,
      }),
    ]);
    expect(skipped).toEqual([]);
    expect(config.outpostName).toBe('edge');
    const [app] = config.applications;
    expect(app).toMatchObject({
      name: 'grafana',
      slug: 'grafana',
      providerName: 'grafana-provider',
      externalHost: 'https://grafana.example.com',
      internalHost: 'http://10.0.0.5:3000',
      mode: 'proxy',
      sessionLifetimeMs: 600_000,
      skipPathRegex: ['^/public/', '^/health$'],
      headerAuth: { intercept: false },
      upstreamBasicAuth: { enabled: true, usernameAttribute: 'grafana_user', passwordAttribute: 'app_password' },
      identity: {
        issuer: 'https://authentik.example.com/application/o/grafana/',
        clientId: 'grafana-client',
        clientSecret: 'grafana-secret',
        basicGrant: 'client_credentials',
        bearer: { validation: 'introspection' },
        metadata: { jwks_uri: 'https://authentik.example.com/application/o/grafana/jwks/', revocation_endpoint: null },
      },
    });
  });

  it('keeps internal_host only in proxy mode and cookie_domain only in forward_domain mode', () => {
    const { config, skipped } = assemble([
      provider(1, 'single', { mode: 'forward_single', cookie_domain: 'example.com' }),
      provider(2, 'domain', { mode: 'forward_domain', cookie_domain: 'example.com', external_host: 'https://auth.example.com' }),
    ]);
    expect(skipped).toEqual([]);
    expect(config.applications.map((app) => [app.name, app.internalHost, app.cookieDomain])).toEqual([
      ['single', null, ''],
      ['domain', null, 'example.com'],
    ]);
  });

  it('never interpolates ${NAME} in values from the API', () => {
    const { config } = assemble([provider(1, 'grafana', { skip_path_regex: '^/x/\\$\\{PORTCULLIS_SECRET\\}' })]);
    expect(config.applications[0]?.skipPathRegex).toEqual(['^/x/\\$\\{PORTCULLIS_SECRET\\}']);
  });

  it('rewrites the browser-facing endpoints to AUTHENTIK_HOST_BROWSER, not the back-channel ones', () => {
    const browser = authentikSettingsFrom({ AUTHENTIK_HOST: 'http://authentik-server:9000', AUTHENTIK_TOKEN: 't', AUTHENTIK_HOST_BROWSER: 'https://login.example.com' });
    const internal = provider(1, 'grafana', {
      oidc_configuration: { ...oidc('grafana'), authorization_endpoint: 'http://authentik-server:9000/application/o/authorize/', token_endpoint: 'http://authentik-server:9000/application/o/token/' },
    });
    const { config, skipped } = assembleConfig({ settings: browser, local: null, outpost: OUTPOST, providers: [internal] });
    expect(skipped).toEqual([]);
    expect(config.applications[0]?.identity.metadata).toMatchObject({
      authorization_endpoint: 'https://login.example.com/application/o/authorize/',
      token_endpoint: 'http://authentik-server:9000/application/o/token/',
    });
  });
});

describe('a provider with an invalid field', () => {
  it.each([
    ['external_host', { external_host: 'not a url' }],
    ['mode', { mode: 'sideways' }],
    ['oidc_configuration.jwks_uri', { oidc_configuration: { ...oidc('bad'), jwks_uri: 'ftp://x/' } }],
    ['client_id', { client_id: '' }],
    ['skip_path_regex', { skip_path_regex: '^/ok/\n(' }],
    ['access_token_validity', { access_token_validity: 'forever' }],
    ['internal_host', { internal_host: '' }],
    ['oidc_configuration.issuer', { oidc_configuration: { ...oidc('bad'), issuer: 'http://authentik.example.com/application/o/bad/' } }],
  ])('is skipped, named by pk, name and %s; the others are served', (field, overrides) => {
    const { config, skipped } = assemble([provider(1, 'good'), provider(7, 'bad', overrides), provider(3, 'other')]);
    expect(config.applications.map((app) => app.name)).toEqual(['good', 'other']);
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toMatchObject({ pk: 7, name: 'bad-provider', field });
    expect(skipped[0]?.problem).not.toBe('');
  });

  it('never shows the client secret in the problem', () => {
    const { skipped } = assemble([provider(1, 'bad', { client_secret: 12345678 })]);
    expect(skipped[0]?.field).toBe('client_secret');
    expect(JSON.stringify(skipped)).not.toContain('12345678');
  });

  it('is skipped when its slug or host is already served', () => {
    const { config, skipped } = assemble([provider(1, 'a'), provider(2, 'a', { external_host: 'https://other.example.com' }), provider(3, 'b', { external_host: 'https://a.example.com' })]);
    expect(config.applications.map((app) => app.name)).toEqual(['a']);
    expect(skipped.map((s) => [s.pk, s.field])).toEqual([
      [2, 'assigned_application_slug'],
      [3, 'external_host'],
    ]);
  });
});

describe('plain http', () => {
  it('is accepted for the IdP endpoints when authentik itself is reached over http', () => {
    const http = authentikSettingsFrom({ AUTHENTIK_HOST: 'http://authentik-server:9000', AUTHENTIK_TOKEN: 't' });
    const internal = provider(1, 'grafana', { oidc_configuration: { ...oidc('grafana'), issuer: 'http://authentik-server:9000/application/o/grafana/', jwks_uri: 'http://authentik-server:9000/application/o/grafana/jwks/' } });
    const { config, skipped } = assembleConfig({ settings: http, local: null, outpost: OUTPOST, providers: [internal] });
    expect(skipped).toEqual([]);
    expect(config.applications[0]?.identity.allowInsecureHttp).toBe(true);
  });
});

describe('the local settings', () => {
  it('come from the file, under the listeners of the environment, with no provider before the API answered', () => {
    const local: ConfigDocument = {
      source: '/etc/portcullis/portcullis.yaml',
      baseDir: '/etc/portcullis',
      raw: { listen: '127.0.0.1:7000', trustedProxies: ['10.0.0.0/8'], sessions: { lifetime: '1h' } },
    };
    const env = authentikSettingsFrom({ AUTHENTIK_HOST: 'https://a.example.com', AUTHENTIK_TOKEN: 't', AUTHENTIK_LISTEN__METRICS: '127.0.0.1:9301' });
    const config = localSettingsConfig(env, local);
    expect(config.applications).toEqual([]);
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 7000 });
    expect(config.metricsListen).toEqual({ host: '127.0.0.1', port: 9301 });
    expect(config.trustedProxies).toEqual(['10.0.0.0/8']);
    expect(config.sessions.lifetimeMs).toBe(3_600_000);
  });

  it('use authentik\'s listen defaults without a file', () => {
    const config = localSettingsConfig(settings, null);
    expect(config.listen).toEqual({ host: '0.0.0.0', port: 9000 });
    expect(config.metricsListen).toEqual({ host: '0.0.0.0', port: 9300 });
  });

  it('sign cookies with a secret derived from the token (the same on every replica), unless one is given', () => {
    const a = localSettingsConfig(settings, null).secret;
    expect(localSettingsConfig(authentikSettingsFrom({ AUTHENTIK_HOST: 'https://x.example.com', AUTHENTIK_TOKEN: 'outpost-token-1' }), null).secret).toBe(a);
    expect(a).not.toContain('outpost-token-1');
    expect(Buffer.byteLength(a)).toBeGreaterThanOrEqual(32);
    expect(localSettingsConfig(authentikSettingsFrom({ AUTHENTIK_HOST: 'https://x.example.com', AUTHENTIK_TOKEN: 'other' }), null).secret).not.toBe(a);
    const given = authentikSettingsFrom({ AUTHENTIK_HOST: 'https://x.example.com', AUTHENTIK_TOKEN: 't', PORTCULLIS_SECRET: 'a-secret-of-at-least-thirty-two-bytes!!' });
    expect(localSettingsConfig(given, null).secret).toBe('a-secret-of-at-least-thirty-two-bytes!!');
  });
});

describe('the environment', () => {
  it.each([
    [{ AUTHENTIK_HOST: 'authentik.example.com', AUTHENTIK_TOKEN: 't' }, 'AUTHENTIK_HOST'],
    [{ AUTHENTIK_HOST: 'https://a.example.com', AUTHENTIK_TOKEN: 't', AUTHENTIK_INSECURE: 'maybe' }, 'AUTHENTIK_INSECURE'],
    [{ AUTHENTIK_HOST: 'https://a.example.com', AUTHENTIK_TOKEN: 't', AUTHENTIK_HOST_BROWSER: 'nope' }, 'AUTHENTIK_HOST_BROWSER'],
  ])('names the variable that is malformed: %o', (env, name) => {
    expect(() => authentikSettingsFrom(env)).toThrow(new RegExp(`^${name}: `));
  });

  it('keeps a sub-path install\'s path', () => {
    expect(authentikSettingsFrom({ AUTHENTIK_HOST: 'https://example.com/authentik', AUTHENTIK_TOKEN: 't' }).host.href).toBe('https://example.com/authentik/');
  });
});
