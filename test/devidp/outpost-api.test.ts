import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { isPortcullisError, ValidationError } from '../../src/errors/index.js';
import type { DevIdp } from '../../src/devidp/index.js';
import { api, CERT_FILE, KEY_FILE, OUTPOST_TOKEN, OUTPOST_UA, startOutpostIdp } from './outpost-support.js';
import { startTestIdp } from './support.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface Envelope {
  pagination: { next: number; previous: number; count: number; current: number; total_pages: number; start_index: number; end_index: number };
  results: Record<string, unknown>[];
  autocomplete: Record<string, unknown>;
}

describe('mimic authentik outpost API', () => {
  let idp: DevIdp;

  beforeAll(async () => {
    idp = await startOutpostIdp();
  });
  afterAll(() => idp.close());
  beforeEach(async () => {
    idp.clearFaults();
    idp.outpost.refuseToken(false);
    idp.outpost.resetRecords();
    // Undo what a test added or removed: providers 1 and 2 as in the fixture, nothing else.
    for (const provider of idp.outpost.providers()) if (provider.pk > 2) idp.outpost.removeProvider(provider.pk);
  });

  async function proxyList(query = ''): Promise<Envelope> {
    const { status, body } = await api(idp, `/api/v3/outposts/proxy/${query}`);
    expect(status).toBe(200);
    return body as Envelope;
  }

  it.each([
    ['no Authorization header', null],
    ['a wrong token', 'not-the-token'],
    ['an empty token', ''],
  ])('answers 403 "Token invalid/expired" to a call with %s, and records it', async (_name, token) => {
    for (const path of ['/api/v3/outposts/instances/', '/api/v3/outposts/proxy/', '/api/v3/root/config/']) {
      const { status, body } = await api(idp, path, { token });
      expect(status).toBe(403);
      expect(body).toEqual({ detail: 'Token invalid/expired' });
    }
    expect(idp.outpost.apiCalls()).toEqual([
      expect.objectContaining({ method: 'GET', path: '/api/v3/outposts/instances/', tokenOk: false, status: 403, userAgent: OUTPOST_UA }),
      expect.objectContaining({ path: '/api/v3/outposts/proxy/', tokenOk: false, status: 403 }),
      expect.objectContaining({ path: '/api/v3/root/config/', tokenOk: false, status: 403 }),
    ]);
  });

  it('accepts the Bearer scheme in any case, as authentik does', async () => {
    const response = await fetch(`${idp.url}/api/v3/root/config/`, { headers: { authorization: `bearer ${OUTPOST_TOKEN}` } });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ error_reporting: { enabled: false } });
  });

  it('lists the one outpost of the token in authentik\'s shape', async () => {
    const { status, body } = await api(idp, '/api/v3/outposts/instances/');
    expect(status).toBe(200);
    expect(idp.outpost.pk).toMatch(UUID);
    expect(body).toEqual({
      pagination: { next: 0, previous: 0, count: 1, current: 1, total_pages: 1, start_index: 1, end_index: 1 },
      results: [
        {
          pk: idp.outpost.pk,
          name: 'portcullis-dev',
          type: 'proxy',
          providers: [1, 2],
          providers_obj: [],
          service_connection: null,
          refresh_interval_s: 300,
          token_identifier: `ak-outpost-${idp.outpost.pk}-api`,
          config: {
            authentik_host: idp.url,
            authentik_host_insecure: false,
            authentik_host_browser: '',
            log_level: 'info',
            refresh_interval: 'minutes=5',
            object_naming_template: 'ak-outpost-%(name)s',
          },
          managed: null,
        },
      ],
      autocomplete: {},
    });
    expect(idp.outpost.apiCalls()).toEqual([
      expect.objectContaining({ path: '/api/v3/outposts/instances/', query: {}, tokenOk: true, status: 200, userAgent: OUTPOST_UA, at: expect.any(Date) }),
    ]);
  });

  it('serves every ProxyOutpostConfig field, with oidc_configuration from the IdP\'s own discovery document', async () => {
    const discovery = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    const list = await proxyList('?page=1&page_size=100');
    expect(list.pagination).toEqual({ next: 0, previous: 0, count: 2, current: 1, total_pages: 1, start_index: 1, end_index: 2 });
    expect(list.results.map((r) => r['name'])).toEqual(['app-provider', 'other-provider']);
    const oidcConfiguration = {
      issuer: idp.issuer,
      authorization_endpoint: `${idp.url}/auth`,
      token_endpoint: `${idp.url}/token`,
      userinfo_endpoint: `${idp.url}/me`,
      end_session_endpoint: `${idp.url}/session/end`,
      introspection_endpoint: `${idp.url}/token/introspection`,
      jwks_uri: `${idp.url}/jwks`,
      response_types_supported: ['code'],
      id_token_signing_alg_values_supported: ['RS256'],
      subject_types_supported: ['public'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    };
    expect(discovery).toMatchObject(oidcConfiguration);
    expect(list.results[0]).toEqual({
      pk: 1,
      name: 'app-provider',
      internal_host: 'http://127.0.0.1:9200',
      external_host: 'http://app.localhost:9000',
      internal_host_ssl_validation: true,
      client_id: 'portcullis',
      client_secret: 'portcullis-dev-secret',
      oidc_configuration: oidcConfiguration,
      cookie_secret: idp.outpost.cookieSecret(1),
      certificate: idp.outpost.certificateOf(1),
      skip_path_regex: '^/health$\n^/static/',
      basic_auth_enabled: false,
      basic_auth_password_attribute: '',
      basic_auth_user_attribute: '',
      mode: 'proxy',
      cookie_domain: '',
      access_token_validity: 600,
      intercept_header_auth: true,
      scopes_to_request: ['openid', 'profile', 'email', 'ak_proxy'],
      assigned_application_slug: 'app',
      assigned_application_name: 'App',
    });
    expect(list.results[1]).toMatchObject({
      pk: 2,
      client_id: 'other-app',
      client_secret: 'other-app-dev-secret',
      internal_host: '',
      certificate: null,
      mode: 'forward_single',
      basic_auth_enabled: true,
      basic_auth_user_attribute: 'app_username',
      basic_auth_password_attribute: 'app_password',
      intercept_header_auth: false,
      access_token_validity: null,
      scopes_to_request: ['openid', 'profile', 'email', 'ak_proxy', 'offline_access'],
      assigned_application_slug: 'other',
      assigned_application_name: 'other',
    });
  });

  it('keeps a random cookie secret per provider for the IdP\'s lifetime', async () => {
    const first = (await proxyList()).results.map((r) => r['cookie_secret']);
    const second = (await proxyList()).results.map((r) => r['cookie_secret']);
    expect(second).toEqual(first);
    expect(first[0]).toMatch(/^[\w-]{40}$/);
    expect(first[0]).not.toBe(first[1]);
    const other = await startOutpostIdp();
    try {
      expect(other.outpost.cookieSecret(1)).not.toBe(idp.outpost.cookieSecret(1));
      expect(other.outpost.pk).not.toBe(idp.outpost.pk);
    } finally {
      await other.close();
    }
  });

  it('paginates by page number, so a client must follow pagination.next', async () => {
    await idp.outpost.setProvider(3, { name: 'b-provider', client: 'portcullis', slug: 'b', externalHost: 'http://b.localhost:9000' });
    const first = await proxyList('?page=1&page_size=2');
    expect(first.pagination).toEqual({ next: 2, previous: 0, count: 3, current: 1, total_pages: 2, start_index: 1, end_index: 2 });
    expect(first.results.map((r) => r['name'])).toEqual(['app-provider', 'b-provider']);
    const second = await proxyList(`?page=${first.pagination.next}&page_size=2`);
    expect(second.pagination).toEqual({ next: 0, previous: 1, count: 3, current: 2, total_pages: 2, start_index: 3, end_index: 3 });
    expect(second.results.map((r) => r['name'])).toEqual(['other-provider']);
    expect(idp.outpost.apiCalls().map((c) => c.query)).toEqual([
      { page: '1', page_size: '2' },
      { page: '2', page_size: '2' },
    ]);

    for (const page of ['3', '0', 'x']) {
      const beyond = await api(idp, `/api/v3/outposts/proxy/?page=${page}&page_size=2`);
      expect(beyond.status).toBe(404);
      expect(beyond.body).toEqual({ detail: 'Invalid page.' });
    }
  });

  it('serves the provider\'s keypair details, certificate and private key', async () => {
    const kp = idp.outpost.certificateOf(1);
    expect(kp).toMatch(UUID);
    const pem = await readFile(CERT_FILE, 'utf8');
    const cert = new X509Certificate(pem);

    const details = await api(idp, `/api/v3/crypto/certificatekeypairs/${kp}/`);
    expect(details.status).toBe(200);
    expect(details.body).toEqual({
      pk: kp,
      name: 'app.localhost.cert.pem',
      fingerprint_sha256: cert.fingerprint256.toLowerCase(),
      fingerprint_sha1: cert.fingerprint.toLowerCase(),
      cert_expiry: new Date(cert.validTo).toISOString().replace('.000Z', 'Z'),
      cert_subject: 'CN=app.localhost',
      private_key_available: true,
      key_type: 'rsa',
      certificate_download_url: `/api/v3/crypto/certificatekeypairs/${kp}/view_certificate/?download`,
      private_key_download_url: `/api/v3/crypto/certificatekeypairs/${kp}/view_private_key/?download`,
      managed: null,
    });
    expect((details.body as { fingerprint_sha256: string }).fingerprint_sha256).toMatch(/^([0-9a-f]{2}:){31}[0-9a-f]{2}$/);
    expect((await api(idp, `/api/v3/crypto/certificatekeypairs/${kp}/view_certificate/`)).body).toEqual({ data: pem });
    expect((await api(idp, `/api/v3/crypto/certificatekeypairs/${kp}/view_private_key/`)).body).toEqual({ data: await readFile(KEY_FILE, 'utf8') });

    const download = await api(idp, `/api/v3/crypto/certificatekeypairs/${kp}/view_certificate/?download`);
    expect(download.response.headers.get('content-type')).toBe('application/x-pem-file');
    expect(download.response.headers.get('content-disposition')).toMatch(/^attachment; filename="/);
    expect(download.body).toBe(pem);
  });

  it('answers 404 "Not found." for an unknown keypair and an unknown path, 405 for other methods', async () => {
    for (const path of [
      '/api/v3/crypto/certificatekeypairs/00000000-0000-4000-8000-000000000000/',
      '/api/v3/crypto/certificatekeypairs/00000000-0000-4000-8000-000000000000/view_private_key/',
      '/api/v3/core/users/',
      '/api/v3/outposts/proxy',
    ]) {
      const { status, body } = await api(idp, path);
      expect({ path, status, body }).toEqual({ path, status: 404, body: { detail: 'Not found.' } });
    }
    const post = await api(idp, '/api/v3/outposts/instances/', { method: 'POST' });
    expect(post).toMatchObject({ status: 405, body: { detail: 'Method "POST" not allowed.' } });
  });

  it('refuses the right token with 403 while refuseToken is on', async () => {
    idp.outpost.refuseToken(true);
    expect(await api(idp, '/api/v3/outposts/instances/')).toMatchObject({ status: 403, body: { detail: 'Token invalid/expired' } });
    idp.outpost.refuseToken(false);
    expect((await api(idp, '/api/v3/outposts/instances/')).status).toBe(200);
    expect(idp.outpost.apiCalls().map((c) => [c.tokenOk, c.status])).toEqual([[true, 403], [true, 200]]);
  });

  it('fails every API call with the injected status until cleared, counting them as outpost_api', async () => {
    idp.resetCalls();
    idp.outpost.failApi(503);
    for (const path of ['/api/v3/outposts/instances/', '/api/v3/outposts/proxy/?page=1&page_size=100']) {
      expect((await api(idp, path)).status).toBe(503);
    }
    // The OIDC endpoints are not affected.
    expect((await fetch(`${idp.url}/jwks`)).status).toBe(200);
    idp.clearFaults();
    expect((await api(idp, '/api/v3/outposts/instances/')).status).toBe(200);
    idp.outpost.failApi(500);
    expect((await api(idp, '/api/v3/root/config/')).status).toBe(500);
    idp.outpost.failApi(null);
    expect((await api(idp, '/api/v3/root/config/')).status).toBe(200);
    expect(idp.calls('outpost_api')).toBe(5);
    expect(idp.calls('jwks')).toBe(1);
    expect(idp.outpost.apiCalls().map((c) => c.status)).toEqual([503, 503, 200, 500, 200]);
    expect(() => idp.outpost.failApi(200)).toThrow(RangeError);
  });

  it('delays API answers while outpost_api is stalled', async () => {
    idp.stallEndpoint('outpost_api', 300);
    const started = Date.now();
    expect((await api(idp, '/api/v3/root/config/')).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
  });

  it('serves raw patches as-is, invalid values and removed fields included', async () => {
    idp.outpost.patchRaw(1, { external_host: 'not a url', mode: 'sideways' });
    idp.outpost.patchRaw(1, { client_secret: undefined, access_token_validity: 'soon' });
    const [app] = (await proxyList()).results;
    expect(app).toMatchObject({ external_host: 'not a url', mode: 'sideways', access_token_validity: 'soon', client_id: 'portcullis' });
    expect(app).not.toHaveProperty('client_secret');
    expect(idp.outpost.providers().find((p) => p.pk === 1)?.mode).toBe('proxy');
  });

  it('changes, adds and removes providers at runtime, validated like the users file', async () => {
    await idp.outpost.setProvider(2, { externalHost: 'http://other.localhost:41234', internalHost: 'http://127.0.0.1:41235', mode: 'proxy' });
    await idp.outpost.setProvider(7, { name: 'z-provider', client: 'other-app', slug: 'z', externalHost: 'http://z.localhost:9000' });
    const list = await proxyList();
    expect(list.results.find((r) => r['pk'] === 2)).toMatchObject({ external_host: 'http://other.localhost:41234', internal_host: 'http://127.0.0.1:41235', mode: 'proxy' });
    expect(list.results.find((r) => r['pk'] === 7)).toMatchObject({
      name: 'z-provider', mode: 'proxy', scopes_to_request: ['openid', 'profile', 'email', 'ak_proxy'], assigned_application_name: 'z', certificate: null,
    });
    const instances = (await api(idp, '/api/v3/outposts/instances/')).body as Envelope;
    expect(instances.results[0]?.['providers']).toEqual([1, 2, 7]);

    const refused = await idp.outpost.setProvider(2, { mode: 'sideways' as 'proxy', client: 'nobody', name: 'app-provider' }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as ValidationError).problems.map((p) => p.path)).toEqual(['providers[pk=2].client', 'providers[pk=2].mode', 'providers[pk=2].name']);
    await expect(idp.outpost.setProvider(8, { name: 'incomplete' })).rejects.toBeInstanceOf(ValidationError);

    idp.outpost.removeProvider(7);
    expect((await proxyList()).results.map((r) => r['pk'])).toEqual([1, 2]);
    expect(() => idp.outpost.removeProvider(7)).toThrow(/no provider with pk 7/);
    await idp.outpost.setProvider(2, { externalHost: 'http://other.localhost:9000', internalHost: '', mode: 'forward_single' });
  });

  it('serves the API at the host root beside an authentik-shaped issuer path', async () => {
    const shaped = await startOutpostIdp({ issuerPath: '/application/o/portcullis/' });
    try {
      const { status, body } = await api(shaped, '/api/v3/outposts/proxy/');
      expect(status).toBe(200);
      expect((body as Envelope).results[0]?.['oidc_configuration']).toMatchObject({
        issuer: `${shaped.url}/application/o/portcullis/`,
        token_endpoint: `${shaped.url}/application/o/portcullis/token`,
        jwks_uri: `${shaped.url}/application/o/portcullis/jwks`,
      });
      // Reading its own discovery document at start-up is not a counted call.
      expect(shaped.calls()).toBe(1);
    } finally {
      await shaped.close();
    }
  });

  it('serves no API and no outpost handle without an outpost section', async () => {
    const plain = await startTestIdp();
    try {
      expect(plain.hasOutpost).toBe(false);
      expect((await api(plain, '/api/v3/outposts/instances/')).status).toBe(404);
      const caught = (() => {
        try {
          return plain.outpost;
        } catch (err) {
          return err;
        }
      })();
      expect(isPortcullisError(caught, 'PCL_USAGE')).toBe(true);
    } finally {
      await plain.close();
    }
    expect(idp.hasOutpost).toBe(true);
  });
});
