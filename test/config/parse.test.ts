import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ApplicationConfig, Config, IdentityConfig } from '../../src/config/index.js';
import { SECRET, app0, baseDoc, docWith, parseDoc, parseText } from './helpers.js';

const fixture = (name: string): string => readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8');

const DEFAULT_IDENTITY_REST = {
  allowInsecureHttp: false,
  tlsVerify: true,
  metadata: null,
  clientSecret: '',
  scopes: ['openid', 'profile', 'email', 'ak_proxy'],
  basicGrant: 'client_credentials',
  bearer: { validation: 'jwt', audiences: [], algorithms: [] },
  claims: { username: 'preferred_username', groups: 'groups', entitlements: 'entitlements', attributes: 'ak_proxy.user_attributes' },
  clientAuth: 'auto',
  clientKeyFile: '',
  clientKeyId: '',
  userinfo: 'auto',
  postLogoutRedirectUri: null,
} as const;

const DEFAULT_APPLICATION_REST = {
  sessionLifetimeMs: null,
  mode: 'proxy',
  internalHostTlsVerify: true,
  preserveHost: false,
  cookieDomain: '',
  skipPathRegex: [],
  headerAuth: { intercept: true, header: 'authorization', basic: true, bearer: true },
  redirectBrowsersOnly: true,
  upstreamBasicAuth: { enabled: false, usernameAttribute: 'app_username', passwordAttribute: 'app_password' },
  additionalHeaders: {},
  policies: { mode: 'all', bindings: [] },
} as const;

describe('a minimal file', () => {
  it('gets every default', () => {
    const config = parseText(fixture('minimal.yaml'), { PORTCULLIS_SECRET: SECRET });
    const expected: Config = {
      source: '/etc/portcullis/portcullis.yaml',
      outpostName: 'portcullis',
      workers: 1,
      listen: { host: '0.0.0.0', port: 9000 },
      metricsListen: { host: '127.0.0.1', port: 9300 },
      tlsListen: null,
      tls: { certificates: [] },
      secret: SECRET,
      trustedProxies: ['127.0.0.1/32', '::1/128'],
      log: { level: 'info', format: 'json' },
      policiesDir: '/etc/portcullis/policies',
      pagesDir: '',
      sessions: {
        store: 'memory',
        redis: { url: 'redis://127.0.0.1:6379/0', cluster: [], keyPrefix: 'portcullis:' },
        cookieName: '',
        lifetimeMs: 86_400_000,
      },
      timeouts: { upstreamConnectMs: 5_000, upstreamResponseMs: 60_000, idpMs: 5_000, shutdownMs: 30_000, requestMs: 300_000, headersMs: 20_000, keepAliveMs: 72_000 },
      limits: { maxHeaderSize: 16_384, maxUrlLength: 8_192, maxRequestBody: 0, failedLogins: { perUser: 10, perAddress: 50, windowMs: 300_000 } },
      cache: { credentialTtlMs: 300_000, maxCredentials: 10_000, jwksCooldownMs: 30_000, jwksMaxAgeMs: 600_000 },
      applications: [
        {
          name: 'app',
          slug: 'app',
          providerName: 'portcullis',
          externalHost: 'http://app.localhost',
          internalHost: 'http://127.0.0.1:3000',
          ...DEFAULT_APPLICATION_REST,
          identity: { issuer: 'http://localhost:9100/', clientId: 'portcullis', ...DEFAULT_IDENTITY_REST },
        },
      ],
    };
    expect(config).toStrictEqual(expected);
  });
});

describe('a full file', () => {
  const env = { PORTCULLIS_SECRET: SECRET, REDIS_PASSWORD: 'redis-pw', CLIENT_SECRET: 'client-secret' };

  it('gives exactly the typed result', () => {
    const identity: IdentityConfig = {
      issuer: 'https://auth.example.com/application/o/portcullis/',
      allowInsecureHttp: false,
      tlsVerify: true,
      metadata: null,
      clientId: 'portcullis',
      clientSecret: 'client-secret',
      scopes: ['openid', 'email'],
      basicGrant: 'password',
      bearer: { validation: 'jwt+introspection', audiences: ['portcullis', 'api'], algorithms: ['RS256', 'HS256'] },
      claims: { username: 'email', groups: 'roles', entitlements: 'ents', attributes: 'custom.attrs' },
      clientAuth: 'auto',
      clientKeyFile: '',
      clientKeyId: '',
      userinfo: 'auto',
      postLogoutRedirectUri: null,
    };
    const grafana: ApplicationConfig = {
      name: 'grafana',
      slug: 'grafana',
      providerName: 'grafana',
      sessionLifetimeMs: null,
      externalHost: 'https://grafana.example.com',
      mode: 'proxy',
      internalHost: 'http://127.0.0.1:3000/base',
      internalHostTlsVerify: false,
      preserveHost: false,
      cookieDomain: '',
      skipPathRegex: ['^/public/', '^/api/health$'],
      headerAuth: { intercept: false, header: 'proxy-authorization', basic: true, bearer: false },
      redirectBrowsersOnly: false,
      upstreamBasicAuth: { enabled: true, usernameAttribute: 'grafana_user', passwordAttribute: 'grafana_pass' },
      additionalHeaders: { 'X-Forwarded-Prefix': '/grafana', 'X-Team': 'ops ${literal}' },
      policies: {
        mode: 'any',
        bindings: [
          { policy: 'admins-only', negate: false },
          { policy: 'office-network', negate: true },
        ],
      },
      identity: { ...identity, clientId: 'grafana', bearer: { ...identity.bearer, audiences: ['grafana'] } },
    };
    const wiki: ApplicationConfig = {
      name: 'wiki',
      slug: 'wiki',
      providerName: 'portcullis',
      externalHost: 'https://wiki.example.com:8443',
      internalHost: null,
      ...DEFAULT_APPLICATION_REST,
      mode: 'forward_domain',
      cookieDomain: '.example.com',
      identity,
    };
    const expected: Config = {
      source: '/etc/portcullis/portcullis.yaml',
      outpostName: 'portcullis',
      workers: 1,
      listen: { host: '::1', port: 9443 },
      metricsListen: null,
      tlsListen: null,
      tls: { certificates: [] },
      secret: SECRET,
      trustedProxies: ['10.0.0.0/8', '192.168.1.7/32', '2001:db8::/32', 'fd00::1/128'],
      log: { level: 'debug', format: 'pretty' },
      policiesDir: '/etc/portcullis/conf/policies',
      pagesDir: '',
      sessions: {
        store: 'redis',
        redis: {
          url: 'rediss://:redis-pw@redis.internal:6380/2',
          cluster: ['redis://node-a:7000', 'rediss://node-b:7000'],
          keyPrefix: 'pc:',
        },
        cookieName: 'pc_session',
        lifetimeMs: 8 * 3_600_000,
      },
      timeouts: { upstreamConnectMs: 2_000, upstreamResponseMs: 90_000, idpMs: 1_500, shutdownMs: 10_000, requestMs: 600_000, headersMs: 10_000, keepAliveMs: 30_000 },
      limits: { maxHeaderSize: 32_768, maxUrlLength: 4_096, maxRequestBody: 100 * 1024 * 1024, failedLogins: { perUser: 5, perAddress: 20, windowMs: 900_000 } },
      cache: { credentialTtlMs: 120_000, maxCredentials: 500, jwksCooldownMs: 10_000, jwksMaxAgeMs: 3_600_000 },
      applications: [grafana, wiki],
    };
    expect(parseText(fixture('full.yaml'), env)).toStrictEqual(expected);
  });

  it('is deep-frozen', () => {
    const config = parseText(fixture('full.yaml'), env);
    const app = config.applications[0] as ApplicationConfig;
    for (const value of [config, config.listen, config.trustedProxies, config.sessions.redis.cluster, app, app.identity.bearer.audiences, app.additionalHeaders, app.policies.bindings[0]]) {
      expect(Object.isFrozen(value)).toBe(true);
    }
    expect(() => {
      (config as { secret: string }).secret = 'changed';
    }).toThrow(TypeError);
    expect(() => {
      (app.identity.scopes as string[]).push('admin');
    }).toThrow(TypeError);
  });
});

describe('addresses', () => {
  it.each([
    ['127.0.0.1:8080', { host: '127.0.0.1', port: 8080 }],
    ['[::1]:9000', { host: '::1', port: 9000 }],
    ['[2001:DB8:0:0::1]:443', { host: '2001:db8::1', port: 443 }],
    ['[::]:9000', { host: '::', port: 9000 }],
    ['Gateway.Internal:80', { host: 'gateway.internal', port: 80 }],
    ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
  ])('reads listen %s', (listen, expected) => {
    expect(parseDoc(docWith((d) => (d['listen'] = listen))).listen).toEqual(expected);
  });

  it('disables metrics with an empty metricsListen', () => {
    expect(parseDoc(docWith((d) => (d['metricsListen'] = ''))).metricsListen).toBeNull();
  });

  it.each([
    [['10.0.0.0/8'], ['10.0.0.0/8']],
    [['192.168.0.1'], ['192.168.0.1/32']],
    [['0.0.0.0/0', '::/0'], ['0.0.0.0/0', '::/0']],
    [['2001:0db8:0000:0000:0000:0000:0000:0000/32'], ['2001:db8::/32']],
    [['::1'], ['::1/128']],
    [['fe80::/10'], ['fe80::/10']],
    [['::ffff:10.1.2.3'], ['::ffff:a01:203/128']],
    [['2001:db8:0:1:0:0:0:1'], ['2001:db8:0:1::1/128']],
    [[], []],
  ])('normalizes trustedProxies %j', (given, expected) => {
    expect(parseDoc(docWith((d) => (d['trustedProxies'] = given))).trustedProxies).toEqual(expected);
  });
});

describe('URLs', () => {
  it.each([
    ['https://App.Example.com', 'https://app.example.com'],
    ['https://app.example.com/', 'https://app.example.com'],
    ['https://app.example.com:443', 'https://app.example.com'],
    ['http://app.example.com:8080', 'http://app.example.com:8080'],
  ])('stores externalHost %s as its origin', (given, expected) => {
    expect(parseDoc(docWith((d) => (app0(d)['externalHost'] = given))).applications[0]?.externalHost).toBe(expected);
  });

  it.each([
    ['http://127.0.0.1:3000/', 'http://127.0.0.1:3000'],
    ['http://upstream:3000/base/', 'http://upstream:3000/base'],
    ['https://upstream/a/b', 'https://upstream/a/b'],
  ])('stores internalHost %s without a trailing slash', (given, expected) => {
    expect(parseDoc(docWith((d) => (app0(d)['internalHost'] = given))).applications[0]?.internalHost).toBe(expected);
  });

  it.each(['http://localhost:9100', 'http://auth.localhost/o/', 'http://127.0.0.2/', 'http://[::1]:8080/x', 'https://auth.example.com/o/app/'])(
    'accepts the issuer %s, kept exactly as written',
    (issuer) => {
      const config = parseDoc(docWith((d) => ((d['identity'] as Record<string, unknown>)['issuer'] = issuer)));
      expect(config.applications[0]?.identity.issuer).toBe(issuer);
    },
  );
});

describe('per-application identity', () => {
  it('overrides single keys, nested ones included, and inherits the rest', () => {
    const config = parseDoc(
      docWith((d) => {
        d['identity'] = {
          issuer: 'https://auth.example.com/o/default/',
          clientId: 'default',
          clientSecret: 'top-secret',
          scopes: ['openid', 'profile'],
          bearer: { validation: 'introspection', audiences: ['default'], algorithms: ['ES256'] },
          claims: { groups: 'roles' },
        };
        d['applications'] = [
          {
            name: 'a',
            externalHost: 'https://a.example.com',
            internalHost: 'http://127.0.0.1:1',
            identity: { clientId: 'a', scopes: ['openid'], bearer: { audiences: ['a', 'a2'] }, claims: { username: 'email' } },
          },
          { name: 'b', externalHost: 'https://b.example.com', internalHost: 'http://127.0.0.1:2' },
        ];
      }),
    );
    expect(config.applications[0]?.identity).toEqual({
      issuer: 'https://auth.example.com/o/default/',
      allowInsecureHttp: false,
      tlsVerify: true,
      metadata: null,
      clientId: 'a',
      clientSecret: 'top-secret',
      scopes: ['openid'],
      basicGrant: 'client_credentials',
      bearer: { validation: 'introspection', audiences: ['a', 'a2'], algorithms: ['ES256'] },
      claims: { username: 'email', groups: 'roles', entitlements: 'entitlements', attributes: 'ak_proxy.user_attributes' },
      clientAuth: 'auto',
      clientKeyFile: '',
      clientKeyId: '',
      userinfo: 'auto',
      postLogoutRedirectUri: null,
    });
    expect(config.applications[1]?.identity).toEqual({
      issuer: 'https://auth.example.com/o/default/',
      allowInsecureHttp: false,
      tlsVerify: true,
      metadata: null,
      clientId: 'default',
      clientSecret: 'top-secret',
      scopes: ['openid', 'profile'],
      basicGrant: 'client_credentials',
      bearer: { validation: 'introspection', audiences: ['default'], algorithms: ['ES256'] },
      claims: { username: 'preferred_username', groups: 'roles', entitlements: 'entitlements', attributes: 'ak_proxy.user_attributes' },
      clientAuth: 'auto',
      clientKeyFile: '',
      clientKeyId: '',
      userinfo: 'auto',
      postLogoutRedirectUri: null,
    });
  });

  it('lets every application bring its own identity without a top-level block', () => {
    const doc = baseDoc();
    delete doc['identity'];
    app0(doc)['identity'] = { issuer: 'https://idp.example.com', clientId: 'only-app' };
    expect(parseDoc(doc).applications[0]?.identity.clientId).toBe('only-app');
  });

  it('allows HS* algorithms when the secret comes from the application', () => {
    const doc = docWith((d) => (app0(d)['identity'] = { clientSecret: 'app-secret', bearer: { algorithms: ['HS512'] } }));
    expect(parseDoc(doc).applications[0]?.identity.bearer.algorithms).toEqual(['HS512']);
  });
});

describe('other keys', () => {
  it('resolves policiesDir against the configuration folder, and keeps absolute ones', () => {
    expect(parseDoc(docWith((d) => (d['policiesDir'] = '../shared/policies'))).policiesDir).toBe('/etc/shared/policies');
    expect(parseDoc(docWith((d) => (d['policiesDir'] = '/srv/policies'))).policiesDir).toBe('/srv/policies');
  });

  it.each([
    ['500ms', 500],
    ['90s', 90_000],
    ['1h30m', 5_400_000],
  ])('reads durations: lifetime %s', (lifetime, ms) => {
    expect(parseDoc(docWith((d) => (d['sessions'] = { lifetime }))).sessions.lifetimeMs).toBe(ms);
  });

  it('allows the same port for listen and metricsListen only when it is 0', () => {
    const config = parseDoc(docWith((d) => Object.assign(d, { listen: '127.0.0.1:0', metricsListen: '127.0.0.1:0' })));
    expect(config.metricsListen).toEqual({ host: '127.0.0.1', port: 0 });
  });

  it('accepts a redis+sentinel URL with several hosts', () => {
    const url = 'redis+sentinel://:pw@s1:26379,s2:26379/mymaster';
    expect(parseDoc(docWith((d) => (d['sessions'] = { redis: { url } }))).sessions.redis.url).toBe(url);
  });

  it('accepts forward_single and forward_domain applications without internalHost', () => {
    const config = parseDoc(
      docWith((d) => {
        d['applications'] = [
          { name: 'single', externalHost: 'https://single.example.com', mode: 'forward_single' },
          { name: 'domain', externalHost: 'https://example.com', mode: 'forward_domain', cookieDomain: 'example.com' },
        ];
      }),
    );
    expect(config.applications.map((a) => [a.mode, a.internalHost, a.cookieDomain])).toEqual([
      ['forward_single', null, ''],
      ['forward_domain', null, 'example.com'],
    ]);
  });
});
