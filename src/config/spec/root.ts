/**
 * The Portcullis configuration schema (DESIGN.md §4): every key with its default and a one-line
 * description. The configuration reference (docs/configuration.md) is rendered from this file.
 */

import { list } from '../schema/collections.js';
import { field, object, renamed } from '../schema/object.js';
import type { Partly } from '../schema/object.js';
import { cidr, hostPort, optionalHostPort, redisUrl } from '../schema/network.js';
import type { Path } from '../schema/path.js';
import { INVALID } from '../schema/problems.js';
import type { Context } from '../schema/problems.js';
import { duration, enumOf, integer, string, workerCount } from '../schema/scalars.js';
import type { ListenAddress } from '../types.js';
import { applications } from './application.js';
import { identityDefaults } from './identity.js';
import { limits, timeouts } from './limits.js';

const log = object({
  level: field(enumOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), {
    default: 'info',
    description: 'Least severe level logged.',
  }),
  format: field(enumOf(['json', 'pretty']), { default: 'json', description: 'One JSON object per line, or human-readable.' }),
});

const redis = object({
  url: field(redisUrl(['redis', 'rediss', 'redis+sentinel']), {
    default: 'redis://127.0.0.1:6379/0',
    description: 'Standalone or Sentinel connection URL; ignored when `cluster` is set.',
  }),
  cluster: field(list(redisUrl(['redis', 'rediss'])), {
    default: [],
    description: 'Seed node URLs of a Redis Cluster.',
  }),
  keyPrefix: field(string(), { default: 'portcullis:', description: 'Prefix of every key Portcullis writes.' }),
});

const sessions = object({
  store: field(enumOf(['memory', 'redis']), {
    default: 'memory',
    description: '`memory` (one process) or `redis` (shared by replicas).',
  }),
  redis: field(redis, { default: {}, description: 'Used when `store` is `redis`.' }),
  cookieName: field(
    string({ type: 'cookie name', pattern: { re: /^[!#$%&'*+\-.^_`|~0-9A-Za-z]*$/, expected: 'a cookie name (HTTP token characters)' } }),
    { default: '', description: 'Empty means `authentik_proxy_` + the first 8 hex digits of sha256(clientId).' },
  ),
  lifetime: renamed(
    'lifetimeMs',
    field(duration(), { default: '24h', description: 'Upper bound of a session; it never outlives its token unless refreshed.' }),
  ),
});

const cache = object({
  credentialTtl: renamed(
    'credentialTtlMs',
    field(duration(), {
      default: '5m',
      description: 'How long a checked app password or token is remembered (never past the token\'s expiry).',
    }),
  ),
  maxCredentials: field(integer({ min: 0, max: 10_000_000 }), {
    default: 10000,
    description: 'Most remembered credentials; the least recently used are forgotten first. 0 disables the cache.',
  }),
  jwksCooldown: renamed(
    'jwksCooldownMs',
    field(duration(), { default: '30s', description: 'Least time between two key-set fetches caused by unknown key ids while the IdP answers (a failed fetch starts none).' }),
  ),
  jwksMaxAge: renamed(
    'jwksMaxAgeMs',
    field(duration(), { default: '10m', description: 'Age after which the IdP\'s key set is refreshed in the background.' }),
  ),
});

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::']);

type RootChecked = Partly<{
  listen: ListenAddress;
  metricsListen: ListenAddress | null;
  tlsListen: ListenAddress | null;
  workers: number | 'auto';
  sessions: { readonly store: 'memory' | 'redis' };
}>;

function checkRoot(value: RootChecked, at: Path, ctx: Context): void {
  checkListeners(value, at, ctx);
  checkWorkers(value, at, ctx);
}

/**
 * Worker processes share nothing in memory, so more than one needs the Redis store: a session
 * made by one worker must be found by the next request, whichever worker takes it.
 */
function checkWorkers(value: RootChecked, at: Path, ctx: Context): void {
  const { workers, sessions } = value;
  if (workers === INVALID || workers === 1 || sessions === INVALID || sessions.store !== 'memory') return;
  ctx.problems.add(at.key('workers'), `more than one worker needs sessions.store: redis (the memory store lives in one process), got ${JSON.stringify(workers)}`);
}

/** Two listeners on one port would fail at start-up; say so while validating. */
function checkListeners(value: RootChecked, at: Path, ctx: Context): void {
  const { listen } = value;
  if (listen === INVALID) return;
  for (const key of ['metricsListen', 'tlsListen'] as const) {
    const other = value[key];
    if (other !== INVALID && other !== null && clash(listen, other)) {
      ctx.problems.add(at.key(key), `must not use the same port as listen (${listen.port})`);
    }
  }
}

function clash(a: ListenAddress, b: ListenAddress): boolean {
  if (a.port === 0 || a.port !== b.port) return false;
  return a.host === b.host || WILDCARD_HOSTS.has(a.host) || WILDCARD_HOSTS.has(b.host);
}

/** PEM as text, or the file that holds it: exactly one of the two. */
const certificate = object(
  {
    certFile: field(string(), { default: '', description: 'PEM certificate chain file (relative to the configuration file\'s folder).' }),
    keyFile: field(string(), { default: '', description: 'PEM private key file.' }),
    cert: field(string(), { default: '', description: 'PEM certificate chain, inline.' }),
    key: field(string({ secret: true }), { default: '', description: 'PEM private key, inline. Never shown in messages.' }),
  },
  {
    check(value, at, ctx) {
      const files = value.certFile !== '' || value.keyFile !== '';
      const inline = value.cert !== '' || value.key !== '';
      if (files === inline) ctx.problems.add(at, 'expected either certFile and keyFile, or cert and key');
      else if (files && (value.certFile === '' || value.keyFile === '')) ctx.problems.add(at.key(value.certFile === '' ? 'certFile' : 'keyFile'), 'required with the other');
      else if (inline && (value.cert === '' || value.key === '')) ctx.problems.add(at.key(value.cert === '' ? 'cert' : 'key'), 'required with the other');
    },
  },
);

const tls = object({
  certificates: field(list(certificate), {
    default: [],
    description: 'Certificates; each serves the host names it names (SAN/CN). Clients must send SNI.',
  }),
});

export const root = object(
  {
    listen: field(hostPort(), { default: '0.0.0.0:9000', description: 'Where the gateway listens; IPv6 as `[::1]:9000`.' }),
    metricsListen: field(optionalHostPort(), {
      default: '127.0.0.1:9300',
      description: '`/metrics`, `/healthz`, `/readyz`; `""` disables.',
    }),
    workers: field(workerCount(256), {
      default: 1,
      description: 'Gateway processes sharing the listeners (`auto`: one per core); more than one needs `sessions.store: redis`.',
    }),
    outpostName: field(string({ nonEmpty: true }), {
      default: 'portcullis',
      description: 'Sent as `X-authentik-meta-outpost` (authentik: the outpost\'s name).',
    }),
    tlsListen: field(optionalHostPort(), {
      default: '',
      defaultText: '`""` (off); authentik mode: `AUTHENTIK_LISTEN__HTTPS` or `0.0.0.0:9443`',
      description: 'An HTTPS listener serving the same applications, its certificate chosen by SNI from `tls.certificates`.',
    }),
    tls: field(tls, { default: {}, description: 'Certificates of the HTTPS listener.' }),
    secret: field(string({ type: 'string (secret)', secret: true, minBytes: 32 }), {
      required: true,
      description: 'At least 32 bytes; signs cookies and state, keys the credential cache. Never shown in messages.',
    }),
    trustedProxies: field(list(cidr()), {
      default: ['127.0.0.1/32', '::1/128'],
      description: 'Peers whose `X-Forwarded-*` headers are believed; bare addresses mean /32 or /128.',
    }),
    log: field(log, { default: {}, description: 'Logging.' }),
    pagesDir: field(string(), {
      default: '',
      defaultText: '`""` (the built-in pages)',
      description: 'Folder with `error.html` and/or `signed-out.html` replacing the built-in pages (placeholders in docs/operations.md); relative to the configuration file\'s folder.',
    }),
    policiesDir: field(string({ nonEmpty: true }), {
      default: './policies',
      description: 'Folder of policy files; relative to the configuration file\'s folder.',
    }),
    sessions: field(sessions, { default: {}, description: 'Browser and API sessions.' }),
    timeouts: field(timeouts, { default: {}, description: 'Time limits (Portcullis extension).' }),
    limits: field(limits, { default: {}, description: 'Request-size limits and brute-force protection (Portcullis extension).' }),
    cache: field(cache, { default: {}, description: 'Credential and key caches (Portcullis extension).' }),
    identity: field(identityDefaults, {
      default: {},
      description: 'OpenID Connect settings shared by every application; each may override any key.',
    }),
    applications: field(applications, { required: true, description: 'The protected applications; at least one.' }),
  },
  { type: 'mapping of configuration keys', check: checkRoot },
);
