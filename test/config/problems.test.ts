import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors/index.js';
import { SECRET, app0, baseDoc, docWith, errorOf, parseText, problemsOf, problemsOfText, type Doc } from './helpers.js';

type Change = (doc: Doc) => void;
type Obj = Record<string, unknown>;

const top = (key: string, value: unknown): Change => (d) => {
  d[key] = value;
};
const identity = (patch: Obj): Change => (d) => {
  Object.assign(d['identity'] as Obj, patch);
};
const app = (patch: Obj): Change => (d) => {
  Object.assign(app0(d), patch);
};
const secondApp = (patch: Obj): Change => (d) => {
  (d['applications'] as Obj[]).push({ name: 'second', externalHost: 'https://second.example.com', internalHost: 'http://127.0.0.1:4000', ...patch });
};

const ALGS = 'RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA, HS256, HS384, HS512';
const HOST_PORT = 'expected "host:port" (IPv6 as "[::1]:9000")';

/** [what, change to a valid document, [path, message] of every problem]. */
const CASES: readonly (readonly [string, Change, readonly (readonly [string, string])[]])[] = [
  // top level
  ['unknown top-level key', top('listne', ':9000'), [['listne', 'unknown key (did you mean "listen"?)']]],
  ['listen without host', top('listen', '9000'), [['listen', `${HOST_PORT}, got "9000"`]]],
  ['listen as a number', top('listen', 9000), [['listen', `${HOST_PORT}, got 9000`]]],
  ['listen port too large', top('listen', '127.0.0.1:70000'), [['listen', 'expected a port between 0 and 65535, got "127.0.0.1:70000"']]],
  ['listen IPv6 without brackets', top('listen', '::1:9000'), [['listen', `${HOST_PORT}, got "::1:9000"`]]],
  ['listen bad IPv6', top('listen', '[::g]:9000'), [['listen', `${HOST_PORT}, got "[::g]:9000"`]]],
  ['listen bad IPv4', top('listen', '999.1.1.1:80'), [['listen', `${HOST_PORT}, got "999.1.1.1:80"`]]],
  ['metricsListen null', top('metricsListen', null), [['metricsListen', `${HOST_PORT}, got null`]]],
  [
    'metricsListen on the listen port',
    (d) => Object.assign(d, { listen: '0.0.0.0:9000', metricsListen: '127.0.0.1:9000' }),
    [['metricsListen', 'must not use the same port as listen (9000)']],
  ],
  ['workers zero', top('workers', 0), [['workers', 'expected auto or a whole number from 1 to 256, got 0']]],
  ['workers a word', top('workers', 'many'), [['workers', 'expected auto or a whole number from 1 to 256, got "many"']]],
  [
    'workers with the memory store',
    top('workers', 'auto'),
    [['workers', 'more than one worker needs sessions.store: redis (the memory store lives in one process), got "auto"']],
  ],
  ['secret missing', (d) => delete d['secret'], [['secret', 'required']]],
  ['secret too short', top('secret', 'short-secret'), [['secret', 'must be at least 32 bytes, got 12 bytes']]],
  ['secret counted in bytes', top('secret', 'é'.repeat(15)), [['secret', 'must be at least 32 bytes, got 30 bytes']]],
  ['secret as a number', top('secret', 12345), [['secret', 'expected a string, got a number']]],
  ['trustedProxies not a list', top('trustedProxies', '10.0.0.0/8'), [['trustedProxies', 'expected a list, got "10.0.0.0/8"']]],
  [
    'trustedProxies prefix too long',
    top('trustedProxies', ['127.0.0.1/32', '10.0.0.0/33']),
    [['trustedProxies[1]', 'expected an IP address or a CIDR range such as "10.0.0.0/8", got "10.0.0.0/33"']],
  ],
  [
    'trustedProxies host bits',
    top('trustedProxies', ['10.1.2.3/8', '2001:db8::1/32']),
    [
      ['trustedProxies[0]', 'expected a network address, got "10.1.2.3/8" (did you mean "10.0.0.0/8"?)'],
      ['trustedProxies[1]', 'expected a network address, got "2001:db8::1/32" (did you mean "2001:db8::/32"?)'],
    ],
  ],
  ['trustedProxies zone id', top('trustedProxies', ['fe80::1%eth0']), [['trustedProxies[0]', 'expected an IP address or a CIDR range such as "10.0.0.0/8", got "fe80::1%eth0"']]],
  ['trustedProxies host name', top('trustedProxies', ['proxy.local']), [['trustedProxies[0]', 'expected an IP address or a CIDR range such as "10.0.0.0/8", got "proxy.local"']]],
  ['log null', top('log', null), [['log', 'expected a mapping, got null']]],
  ['log.level', top('log', { level: 'verbose' }), [['log.level', 'expected one of fatal, error, warn, info, debug, trace, silent, got "verbose"']]],
  ['log.format', top('log', { format: 'xml' }), [['log.format', 'expected one of json, pretty, got "xml"']]],
  ['log unknown key', top('log', { colour: true }), [['log.colour', 'unknown key']]],
  ['policiesDir empty', top('policiesDir', ''), [['policiesDir', 'expected a non-empty string, got ""']]],
  // sessions and timeouts
  ['sessions.store', top('sessions', { store: 'file' }), [['sessions.store', 'expected one of memory, redis, got "file"']]],
  [
    'sessions.redis.url scheme',
    top('sessions', { redis: { url: 'http://redis:6379' } }),
    [['sessions.redis.url', 'expected a redis://, rediss:// or redis+sentinel:// URL, got "http://redis:6379"']],
  ],
  [
    'sessions.redis.url password masked',
    top('sessions', { redis: { url: 'redis//:hunter2@redis:6379' } }),
    [['sessions.redis.url', 'expected a redis://, rediss:// or redis+sentinel:// URL, got "redis//***@redis:6379"']],
  ],
  [
    'sessions.redis.cluster scheme',
    top('sessions', { redis: { cluster: ['redis://a:7000', 'redis+sentinel://:pw@b:26379'] } }),
    [['sessions.redis.cluster[1]', 'expected a redis:// or rediss:// URL, got "redis+sentinel://***@b:26379"']],
  ],
  ['sessions.cookieName', top('sessions', { cookieName: 'my cookie' }), [['sessions.cookieName', 'expected a cookie name (HTTP token characters), got "my cookie"']]],
  [
    'sessions.lifetime',
    top('sessions', { lifetime: '1 day' }),
    [['sessions.lifetime', 'expected a duration such as "500ms", "30s", "5m" or "1h30m", got "1 day"']],
  ],
  ['sessions.lifetime zero', top('sessions', { lifetime: '0s' }), [['sessions.lifetime', 'expected a positive duration, got "0s"']]],
  ['sessions.lifetimeMs is not a key', top('sessions', { lifetimeMs: 1000 }), [['sessions.lifetimeMs', 'unknown key (did you mean "lifetime"?)']]],
  [
    'timeouts as numbers',
    top('timeouts', { idp: 5, shutdown: '30' }),
    [
      ['timeouts.idp', 'expected a duration such as "500ms", "30s", "5m" or "1h30m", got 5'],
      ['timeouts.shutdown', 'expected a duration such as "500ms", "30s", "5m" or "1h30m", got "30"'],
    ],
  ],
  ['timeouts unknown key', top('timeouts', { read: '5s' }), [['timeouts.read', 'unknown key']]],
  // identity
  [
    'issuer over http',
    identity({ issuer: 'http://auth.example.com/o/app/' }),
    [['identity.issuer', 'must use https unless the host is loopback (localhost, 127.0.0.0/8, ::1) or allowInsecureHttp is true, got "http://auth.example.com/o/app/"']],
  ],
  ['issuer not a URL', identity({ issuer: 'auth.example.com' }), [['identity.issuer', 'expected an http(s) URL, got "auth.example.com"']]],
  ['issuer with a query', identity({ issuer: 'https://auth.example.com/?tenant=a' }), [['identity.issuer', 'must not contain a query or fragment, got "https://auth.example.com/?tenant=a"']]],
  ['issuer missing everywhere', (d) => delete (d['identity'] as Obj)['issuer'], [['identity.issuer', 'required']]],
  ['clientId empty', identity({ clientId: '' }), [['identity.clientId', 'expected a non-empty string, got ""']]],
  ['identity unknown key', identity({ client_id: 'x' }), [['identity.client_id', 'unknown key (did you mean "clientId"?)']]],
  ['identity not a mapping', top('identity', 'https://auth.example.com'), [['identity', 'expected a mapping, got "https://auth.example.com"']]],
  ['scopes without openid', identity({ scopes: ['profile', 'email'] }), [['identity.scopes', 'must include "openid"']]],
  ['scope with a space', identity({ scopes: ['openid', 'a b'] }), [['identity.scopes[1]', 'expected an OAuth scope, got "a b"']]],
  ['basicGrant', identity({ basicGrant: 'implicit' }), [['identity.basicGrant', 'expected one of client_credentials, password, got "implicit"']]],
  [
    'bearer.validation',
    identity({ bearer: { validation: 'opaque' } }),
    [['identity.bearer.validation', 'expected one of jwt, introspection, jwt+introspection, got "opaque"']],
  ],
  ['algorithm none', identity({ bearer: { algorithms: ['RS256', 'none'] } }), [['identity.bearer.algorithms[1]', '"none" is never accepted (unsigned tokens)']]],
  ['algorithm NONE', identity({ bearer: { algorithms: ['NONE'] } }), [['identity.bearer.algorithms[0]', '"none" is never accepted (unsigned tokens)']]],
  ['algorithm unknown', identity({ bearer: { algorithms: ['rs256'] } }), [['identity.bearer.algorithms[0]', `expected a JWS algorithm (${ALGS}), got "rs256"`]]],
  [
    'HS algorithm without clientSecret',
    identity({ bearer: { algorithms: ['RS256', 'HS256'] } }),
    [['identity.bearer.algorithms[1]', 'HS256 needs a non-empty clientSecret (the HMAC key)']],
  ],
  ['audiences', identity({ bearer: { audiences: [''] } }), [['identity.bearer.audiences[0]', 'expected a non-empty string, got ""']]],
  [
    'claims.attributes',
    identity({ claims: { attributes: 'ak_proxy..attrs' } }),
    [['identity.claims.attributes', 'expected a claim name or dotted path such as "ak_proxy.user_attributes", got "ak_proxy..attrs"']],
  ],
  // client authentication, UserInfo, logout (issue 15)
  [
    'clientAuth unknown',
    identity({ clientAuth: 'client_secret_jwt' }),
    [['identity.clientAuth', 'expected one of auto, client_secret_basic, client_secret_post, private_key_jwt, none, got "client_secret_jwt"']],
  ],
  ['clientAuth client_secret_basic without a secret', identity({ clientAuth: 'client_secret_basic' }), [['identity.clientAuth', 'client_secret_basic needs a non-empty clientSecret']]],
  ['clientAuth client_secret_post without a secret', identity({ clientAuth: 'client_secret_post', clientSecret: '' }), [['identity.clientAuth', 'client_secret_post needs a non-empty clientSecret']]],
  [
    'clientAuth set by an application whose secret is empty',
    app({ identity: { clientAuth: 'client_secret_basic' } }),
    [['applications[0].identity.clientAuth', 'client_secret_basic needs a non-empty clientSecret']],
  ],
  [
    'private_key_jwt without clientKeyFile',
    identity({ clientAuth: 'private_key_jwt' }),
    [['identity.clientKeyFile', 'required with clientAuth: private_key_jwt (the PEM private key that signs client assertions)']],
  ],
  [
    'clientKeyFile without private_key_jwt',
    identity({ clientSecret: 's', clientKeyFile: '/etc/portcullis/client.key' }),
    [['identity.clientKeyFile', 'is only used with clientAuth: private_key_jwt, got clientAuth: auto']],
  ],
  [
    'clientKeyFile relative',
    identity({ clientAuth: 'private_key_jwt', clientKeyFile: 'client.key' }),
    [['identity.clientKeyFile', 'expected an absolute file path, got "client.key"']],
  ],
  ['clientKeyId without clientKeyFile', identity({ clientKeyId: 'k1' }), [['identity.clientKeyId', 'is only used with clientKeyFile']]],
  ['userinfo unknown', identity({ userinfo: 'sometimes' }), [['identity.userinfo', 'expected one of auto, always, never, got "sometimes"']]],
  ['postLogoutRedirectUri not a URL', identity({ postLogoutRedirectUri: 'app.example.com/' }), [['identity.postLogoutRedirectUri', 'expected an http(s) URL or "", got "app.example.com/"']]],
  [
    'postLogoutRedirectUri with a fragment',
    identity({ postLogoutRedirectUri: 'https://app.example.com/#bye' }),
    [['identity.postLogoutRedirectUri', 'must not contain a fragment, got "https://app.example.com/#bye"']],
  ],
  // identity overrides
  [
    'issuer overridden by an application',
    app({ identity: { issuer: 'http://idp.example.com' } }),
    [['applications[0].identity.issuer', 'must use https unless the host is loopback (localhost, 127.0.0.0/8, ::1) or allowInsecureHttp is true, got "http://idp.example.com"']],
  ],
  [
    'HS algorithm overridden by an application',
    app({ identity: { bearer: { algorithms: ['HS384'] } } }),
    [['applications[0].identity.bearer.algorithms[0]', 'HS384 needs a non-empty clientSecret (the HMAC key)']],
  ],
  [
    'clientSecret removed by an application',
    (d) => {
      identity({ clientSecret: 'top-secret', bearer: { algorithms: ['HS256'] } })(d);
      app({ identity: { clientSecret: '' } })(d);
    },
    [['identity.bearer.algorithms[0]', 'HS256 needs a non-empty clientSecret (the HMAC key)']],
  ],
  ['application identity unknown key', app({ identity: { bearer: { audience: 'x' } } }), [['applications[0].identity.bearer.audience', 'unknown key (did you mean "audiences"?)']]],
  ['application identity null', app({ identity: null }), [['applications[0].identity', 'expected a mapping, got null']]],
  [
    'issuer missing for one application reported once',
    (d) => {
      delete (d['identity'] as Obj)['issuer'];
      secondApp({})(d);
    },
    [['identity.issuer', 'required']],
  ],
  // applications
  ['applications missing', (d) => delete d['applications'], [['applications', 'required']]],
  ['applications empty', top('applications', []), [['applications', 'expected at least one application']]],
  ['application not a mapping', top('applications', ['app']), [['applications[0]', 'expected a mapping, got "app"']]],
  ['application unknown key', app({ internalhost: 'x' }), [['applications[0].internalhost', 'unknown key (did you mean "internalHost"?)']]],
  [
    'name pattern',
    app({ name: 'my app' }),
    [['applications[0].name', 'expected a name matching ^[A-Za-z0-9][A-Za-z0-9._-]*$, got "my app"']],
  ],
  ['name missing', (d) => delete app0(d)['name'], [['applications[0].name', 'required']]],
  [
    'duplicate name',
    (d) => {
      secondApp({ name: 'x' })(d);
      secondApp({ name: 'app', externalHost: 'https://third.example.com' })(d);
    },
    [['applications[2].name', 'duplicate application name "app" (first used by applications[0])']],
  ],
  [
    'duplicate externalHost',
    secondApp({ externalHost: 'http://APP.example.com/' }),
    [['applications[1].externalHost', 'host "app.example.com" is already used by applications[0]']],
  ],
  [
    'externalHost with a path',
    app({ externalHost: 'https://app.example.com/grafana' }),
    [['applications[0].externalHost', 'expected an origin such as "https://app.example.com" (no path), got "https://app.example.com/grafana"']],
  ],
  [
    'externalHost with credentials',
    app({ externalHost: 'https://user:pa55@app.example.com' }),
    [['applications[0].externalHost', 'must not contain credentials (user:password@), got "https://***@app.example.com"']],
  ],
  [
    'externalHost with a query',
    app({ externalHost: 'https://app.example.com/?' }),
    [['applications[0].externalHost', 'must not contain a query or fragment, got "https://app.example.com/?"']],
  ],
  ['externalHost not http', app({ externalHost: 'ftp://app.example.com' }), [['applications[0].externalHost', 'expected an http(s) URL, got "ftp://app.example.com"']]],
  ['mode', app({ mode: 'forward' }), [['applications[0].mode', 'expected one of proxy, forward_single, forward_domain, got "forward"']]],
  ['internalHost not a URL', app({ internalHost: 'localhost:3000' }), [['applications[0].internalHost', 'expected an http(s) URL, got "localhost:3000"']]],
  ['internalHost missing in proxy mode', (d) => delete app0(d)['internalHost'], [['applications[0].internalHost', 'required in proxy mode']]],
  ['internalHost empty in proxy mode', app({ internalHost: '' }), [['applications[0].internalHost', 'required in proxy mode']]],
  [
    'internalHost in forward_single mode',
    app({ mode: 'forward_single' }),
    [['applications[0].internalHost', 'only used in proxy mode, but mode is forward_single']],
  ],
  [
    'cookieDomain missing in forward_domain mode',
    app({ mode: 'forward_domain', internalHost: '' }),
    [['applications[0].cookieDomain', 'required in forward_domain mode']],
  ],
  [
    'cookieDomain not containing externalHost',
    app({ mode: 'forward_domain', internalHost: '', cookieDomain: '.other.com' }),
    [['applications[0].cookieDomain', 'must contain the externalHost "app.example.com", got ".other.com"']],
  ],
  [
    'cookieDomain matched at a dot boundary only',
    app({ mode: 'forward_domain', internalHost: '', cookieDomain: 'ample.com' }),
    [['applications[0].cookieDomain', 'must contain the externalHost "app.example.com", got "ample.com"']],
  ],
  ['cookieDomain syntax', app({ cookieDomain: '*.example.com' }), [['applications[0].cookieDomain', 'expected a domain such as ".example.com", got "*.example.com"']]],
  ['cookieDomain in proxy mode', app({ cookieDomain: '.example.com' }), [['applications[0].cookieDomain', 'only used in forward_domain mode, but mode is proxy']]],
  ['internalHostTlsVerify', app({ internalHostTlsVerify: 'no' }), [['applications[0].internalHostTlsVerify', 'expected true or false, got "no"']]],
  [
    'skipPathRegex',
    app({ skipPathRegex: ['^/ok/', '(', '[z-a]', '^/(?=admin)'] }),
    [
      ['applications[0].skipPathRegex[1]', 'expected an RE2 regular expression, got "(" (missing closing ): `(`)'],
      ['applications[0].skipPathRegex[2]', 'expected an RE2 regular expression, got "[z-a]" (invalid character class range: `z-a`)'],
      // A lookahead is JavaScript, not RE2 (authentik's syntax): refused, not silently reinterpreted.
      ['applications[0].skipPathRegex[3]', 'expected an RE2 regular expression, got "^/(?=admin)" (invalid or unsupported Perl syntax: `(?=`)'],
    ],
  ],
  ['headerAuth.header', app({ headerAuth: { header: 'bearer' } }), [['applications[0].headerAuth.header', 'expected one of authorization, proxy-authorization, got "bearer"']]],
  ['headerAuth.intercept', app({ headerAuth: { intercept: 'yes' } }), [['applications[0].headerAuth.intercept', 'expected true or false, got "yes"']]],
  [
    'headerAuth with neither scheme',
    app({ headerAuth: { basic: false, bearer: false } }),
    [['applications[0].headerAuth', 'basic and bearer cannot both be false: a 401 must offer at least one challenge (RFC 9110 §15.5.2)']],
  ],
  ['redirectBrowsersOnly', app({ redirectBrowsersOnly: 1 }), [['applications[0].redirectBrowsersOnly', 'expected true or false, got 1']]],
  [
    'upstreamBasicAuth.usernameAttribute',
    app({ upstreamBasicAuth: { enabled: true, usernameAttribute: '' } }),
    [['applications[0].upstreamBasicAuth.usernameAttribute', 'expected a non-empty string, got ""']],
  ],
  [
    'additionalHeaders reserved names',
    app({
      additionalHeaders: {
        Host: 'a',
        authorization: 'b',
        'Proxy-Authorization': 'c',
        'content-length': '1',
        'Transfer-Encoding': 'x',
        Connection: 'close',
        COOKIE: 'c=1',
        'X-Authentik-Username': 'root',
        X_Forwarded_User: 'root',
        'Bad Header': 'x',
      },
    }),
    [
      ['applications[0].additionalHeaders.Host', '"Host" cannot be set: Portcullis manages this header'],
      ['applications[0].additionalHeaders.authorization', '"authorization" cannot be set: Portcullis manages this header'],
      ['applications[0].additionalHeaders.Proxy-Authorization', '"Proxy-Authorization" cannot be set: Portcullis manages this header'],
      ['applications[0].additionalHeaders.content-length', '"content-length" cannot be set: Portcullis manages this header'],
      ['applications[0].additionalHeaders.Transfer-Encoding', '"Transfer-Encoding" cannot be set: Portcullis manages this header'],
      ['applications[0].additionalHeaders.Connection', '"Connection" cannot be set: Portcullis manages this header'],
      ['applications[0].additionalHeaders.COOKIE', '"COOKIE" cannot be set: Portcullis manages this header'],
      [
        'applications[0].additionalHeaders.X-Authentik-Username',
        '"X-Authentik-Username" cannot be set: names starting with "x-authentik-" are reserved for identity headers',
      ],
      ['applications[0].additionalHeaders.X_Forwarded_User', '"X_Forwarded_User" cannot be set: header names containing "_" are not allowed'],
      ['applications[0].additionalHeaders["Bad Header"]', 'expected an HTTP header name, got "Bad Header"'],
    ],
  ],
  [
    'additionalHeaders values',
    app({ additionalHeaders: { 'X-A': 'a\r\nX-Injected: 1', 'X-B': 'nul\u0000', 'X-C': 'emoji 🙂', 'X-D': 42, 'X-E': 'tab\tand latin-1 é' } }),
    [
      ['applications[0].additionalHeaders.X-A', 'expected a header value without control characters (CR, LF, NUL) or characters beyond Latin-1'],
      ['applications[0].additionalHeaders.X-B', 'expected a header value without control characters (CR, LF, NUL) or characters beyond Latin-1'],
      ['applications[0].additionalHeaders.X-C', 'expected a header value without control characters (CR, LF, NUL) or characters beyond Latin-1'],
      ['applications[0].additionalHeaders.X-D', 'expected a string, got a number'],
    ],
  ],
  [
    'additionalHeaders case-insensitive duplicates',
    app({ additionalHeaders: { 'X-Team': 'a', 'x-team': 'b' } }),
    [['applications[0].additionalHeaders.x-team', 'duplicate header name (same as "X-Team"; names are case-insensitive)']],
  ],
  ['policies.mode', app({ policies: { mode: 'some' } }), [['applications[0].policies.mode', 'expected one of all, any, got "some"']]],
  [
    'policies.bindings',
    app({ policies: { bindings: [{ negate: true }, { policy: '' }, { policy: 'ok', negate: 'yes' }, 'admins'] } }),
    [
      ['applications[0].policies.bindings[0].policy', 'required'],
      ['applications[0].policies.bindings[1].policy', 'expected a non-empty string, got ""'],
      ['applications[0].policies.bindings[2].negate', 'expected true or false, got "yes"'],
      ['applications[0].policies.bindings[3]', 'expected a mapping, got "admins"'],
    ],
  ],
];

describe('problems', () => {
  it.each(CASES)('%s', (_what, change, expected) => {
    const problems = problemsOf(docWith(change));
    expect(problems.map((p) => [p.path, p.message])).toEqual(expected);
  });

  it('every case starts from a valid document', () => {
    expect(() => parseText(JSON.stringify(baseDoc()))).not.toThrow();
  });

  it('reports __proto__ as an unknown key without touching any prototype', () => {
    const text = `${JSON.stringify(baseDoc())}`.replace('{', '{"__proto__": {"polluted": true}, ');
    expect(problemsOfText(text)).toEqual([{ path: '__proto__', message: 'unknown key' }]);
    const headers = docWith((d) => (app0(d)['additionalHeaders'] = JSON.parse('{"__proto__": "x"}') as unknown));
    expect(problemsOf(headers).map((p) => p.path)).toEqual(['applications[0].additionalHeaders.__proto__']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('reports a document that is not a mapping at the root', () => {
    expect(problemsOfText('- listen\n- secret\n')).toEqual([{ path: '', message: 'expected a mapping, got ["listen","secret"]' }]);
    expect(problemsOfText('')).toEqual([{ path: '', message: 'expected a mapping, got null' }]);
  });

  it('reports every problem at once, in document order', () => {
    const text = `
listen: "9000"
secret: short
log: { level: loud }
sessions: { store: redis, lifetime: forever }
identity:
  issuer: "http://auth.example.com"
applications:
  - name: "bad name"
    externalHost: "https://a.example.com/path"
    mode: forward_single
    internalHost: "http://127.0.0.1:3000"
    skipPathRegex: ["("]
    colour: blue
  - name: b
    externalHost: "https://b.example.com"
`;
    const error = errorOf(() => parseText(text));
    expect(error).toBeInstanceOf(ValidationError);
    const { problems, message, code, source } = error as ValidationError;
    expect(code).toBe('PCL_CONFIG_INVALID');
    expect(source).toBe('/etc/portcullis/portcullis.yaml');
    expect(problems).toEqual([
      { path: 'listen', message: `${HOST_PORT}, got "9000"` },
      { path: 'secret', message: 'must be at least 32 bytes, got 5 bytes' },
      { path: 'log.level', message: 'expected one of fatal, error, warn, info, debug, trace, silent, got "loud"' },
      { path: 'sessions.lifetime', message: 'expected a duration such as "500ms", "30s", "5m" or "1h30m", got "forever"' },
      { path: 'applications[0].name', message: 'expected a name matching ^[A-Za-z0-9][A-Za-z0-9._-]*$, got "bad name"' },
      {
        path: 'applications[0].externalHost',
        message: 'expected an origin such as "https://app.example.com" (no path), got "https://a.example.com/path"',
      },
      { path: 'applications[0].skipPathRegex[0]', message: 'expected an RE2 regular expression, got "(" (missing closing ): `(`)' },
      { path: 'applications[0].colour', message: 'unknown key' },
      { path: 'identity.clientId', message: 'required' },
      // Cross-key rules (https unless loopback or allowInsecureHttp) follow the single values.
      {
        path: 'identity.issuer',
        message: 'must use https unless the host is loopback (localhost, 127.0.0.0/8, ::1) or allowInsecureHttp is true, got "http://auth.example.com"',
      },
      { path: 'applications[0].internalHost', message: 'only used in proxy mode, but mode is forward_single' },
      { path: 'applications[1].internalHost', message: 'required in proxy mode' },
    ]);
    expect(message.split('\n')).toEqual([
      '/etc/portcullis/portcullis.yaml: 12 problem(s)',
      ...problems.map((p) => `${p.path}: ${p.message}`),
    ]);
  });
});

describe('secrets in messages', () => {
  const SECRETS = ['hunter2-too-short', 'redis-pa55word', 'client-s3cret-value', '8765432123456789', 'header-api-key'];

  it('never shows a secret value, only its kind and length', () => {
    const text = `
secret: "hunter2-too-short"
sessions:
  redis:
    url: "redis//:redis-pa55word@redis:6379"
identity:
  issuer: "https://auth.example.com"
  clientId: portcullis
  clientSecret: 8765432123456789
applications:
  - name: app
    externalHost: "https://app.example.com"
    internalHost: "http://127.0.0.1:3000"
    additionalHeaders:
      X-Api-Key: "header-api-key\\r\\n"
    identity:
      clientSecret: ["client-s3cret-value"]
`;
    const error = errorOf(() => parseText(text)) as ValidationError;
    expect(error.problems.map((p) => [p.path, p.message])).toEqual([
      ['secret', 'must be at least 32 bytes, got 17 bytes'],
      ['sessions.redis.url', 'expected a redis://, rediss:// or redis+sentinel:// URL, got "redis//***@redis:6379"'],
      ['identity.clientSecret', 'expected a string, got a number'],
      ['applications[0].additionalHeaders.X-Api-Key', 'expected a header value without control characters (CR, LF, NUL) or characters beyond Latin-1'],
      ['applications[0].identity.clientSecret', 'expected a string, got a list'],
    ]);
    const everything = `${error.message}\n${JSON.stringify(error.problems)}`;
    for (const secret of SECRETS) expect(everything).not.toContain(secret);
  });

  it('does not show the secret when it is too short after interpolation', () => {
    const error = errorOf(() => parseText(`secret: "\${S}"\n`, { S: 'from-the-environment' })) as ValidationError;
    expect(error.message).not.toContain('from-the-environment');
    expect(error.problems[0]).toEqual({ path: 'secret', message: 'must be at least 32 bytes, got 20 bytes' });
  });

  it('uses the test secret', () => {
    expect(SECRET.length).toBeGreaterThanOrEqual(32);
  });
});
