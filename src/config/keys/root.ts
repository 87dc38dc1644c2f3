/**
 * The Portcullis configuration schema (DESIGN.md §4): every key with its default and a one-line
 * description. Validation, the typed result, the JSON Schema and the configuration reference
 * (docs/configuration.md) all come from these declarations.
 */

import { z } from 'zod';
import { field, required } from '../values/field.js';
import { INVALID, mapping, withRule, type Partly, type RuleContext } from '../values/mapping.js';
import { cidr, hostPort, optionalHostPort, type ListenAddress } from '../values/network.js';
import { list, string, workerCount } from '../values/scalars.js';
import { applicationList } from './application.js';
import { identityDefaults } from './identity.js';
import { limits, timeouts } from './limits.js';
import { cache, log, sessions } from './sessions.js';
import { tls } from './tls.js';

function rootKeys(applications: ReturnType<typeof applicationList>) {
  return mapping({
    listen: field(hostPort(), { default: '0.0.0.0:9000', description: 'Where the gateway listens; IPv6 as `[::1]:9000`.' }),
    metricsListen: field(optionalHostPort(), { default: '127.0.0.1:9300', description: '`/metrics`, `/healthz`, `/readyz`; `""` disables.' }),
    workers: field(workerCount(256), {
      default: 1,
      description: 'Gateway processes sharing the listeners (`auto`: one per core); more than one needs `sessions.store: redis`.',
    }),
    outpostName: field(string({ nonEmpty: true }), { default: 'portcullis', description: 'Sent as `X-authentik-meta-outpost` (authentik: the outpost\'s name).' }),
    tlsListen: field(optionalHostPort(), {
      default: '',
      defaultText: '`""` (off); authentik mode: `AUTHENTIK_LISTEN__HTTPS` or `0.0.0.0:9443`',
      description: 'An HTTPS listener serving the same applications, its certificate chosen by SNI from `tls.certificates`.',
    }),
    tls: field(tls, { default: {}, description: 'Certificates of the HTTPS listener.' }),
    secret: required(string({ label: 'string (secret)', secret: true, minBytes: 32 }), {
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
    policiesDir: field(string({ nonEmpty: true }), { default: './policies', description: 'Folder of policy files; relative to the configuration file\'s folder.' }),
    sessions: field(sessions, { default: {}, description: 'Browser and API sessions.' }),
    timeouts: field(timeouts, { default: {}, description: 'Time limits (Portcullis extension).' }),
    limits: field(limits, { default: {}, description: 'Request-size limits and brute-force protection (Portcullis extension).' }),
    cache: field(cache, { default: {}, description: 'Credential and key caches (Portcullis extension).' }),
    identity: field(identityDefaults, { default: {}, description: 'OpenID Connect settings shared by every application; each may override any key.' }),
    applications: required(applications, { description: 'The protected applications; at least one.' }),
  });
}

type Root = Partly<z.output<ReturnType<typeof rootKeys>>>;

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::']);

function clash(a: ListenAddress, b: ListenAddress): boolean {
  if (a.port === 0 || a.port !== b.port) return false;
  return a.host === b.host || WILDCARD_HOSTS.has(a.host) || WILDCARD_HOSTS.has(b.host);
}

/** Two listeners on one port would fail at start-up; say so while validating. */
function checkListeners(value: Root, ctx: RuleContext): void {
  const { listen } = value;
  if (listen === INVALID) return;
  for (const key of ['metricsListen', 'tlsListen'] as const) {
    const other = value[key];
    if (other !== INVALID && other !== null && clash(listen, other)) ctx.report([key], `must not use the same port as listen (${listen.port})`);
  }
}

/**
 * Worker processes share nothing in memory, so more than one needs the Redis store: a session
 * made by one worker must be found by the next request, whichever worker takes it.
 */
function checkWorkers({ workers, sessions: store }: Root, ctx: RuleContext): void {
  if (workers === INVALID || workers === 1 || store === INVALID || store.store !== 'memory') return;
  ctx.report(['workers'], `more than one worker needs sessions.store: redis (the memory store lives in one process), got ${JSON.stringify(workers)}`);
}

function rootSchema(options: { readonly applicationsMayBeEmpty: boolean }) {
  return withRule(rootKeys(applicationList({ mayBeEmpty: options.applicationsMayBeEmpty })), (value, ctx) => {
    checkListeners(value, ctx);
    checkWorkers(value, ctx);
  });
}

/** The configuration file. */
export const configSchema = rootSchema({ applicationsMayBeEmpty: false });

/** The same, for a source that brings its own applications (authentik's API). */
export const configSchemaWithoutApplications = rootSchema({ applicationsMayBeEmpty: true });

export type ParsedConfig = z.output<typeof configSchema>;
