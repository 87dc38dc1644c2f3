/** `log`, `sessions` and `cache`: where sessions live and how long things are remembered. */

import { field } from '../values/field.js';
import { durationsInMs, mapping } from '../values/mapping.js';
import { redisUrl } from '../values/network.js';
import { duration, enumOf, integer, list, string } from '../values/scalars.js';

export const log = mapping({
  level: field(enumOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), { default: 'info', description: 'Least severe level logged.' }),
  format: field(enumOf(['json', 'pretty']), { default: 'json', description: 'One JSON object per line, or human-readable.' }),
});

export const redis = mapping({
  url: field(redisUrl(['redis', 'rediss', 'redis+sentinel']), {
    default: 'redis://127.0.0.1:6379/0',
    description: 'Standalone or Sentinel connection URL; ignored when `cluster` is set.',
  }),
  cluster: field(list(redisUrl(['redis', 'rediss'])), { default: [], description: 'Seed node URLs of a Redis Cluster.' }),
  keyPrefix: field(string(), { default: 'portcullis:', description: 'Prefix of every key Portcullis writes.' }),
});

export const sessions = mapping({
  store: field(enumOf(['memory', 'redis']), { default: 'memory', description: '`memory` (one process) or `redis` (shared by replicas).' }),
  redis: field(redis, { default: {}, description: 'Used when `store` is `redis`.' }),
  cookieName: field(string({ label: 'cookie name', pattern: { re: /^[!#$%&'*+\-.^_`|~0-9A-Za-z]*$/, expected: 'a cookie name (HTTP token characters)' } }), {
    default: '',
    description: 'Empty means `authentik_proxy_` + the first 8 hex digits of sha256(clientId).',
  }),
  lifetime: field(duration(), { default: '24h', description: 'Upper bound of a session; it never outlives its token unless refreshed.' }),
}).transform((value) => durationsInMs(value, ['lifetime']));

export const cache = mapping({
  credentialTtl: field(duration(), {
    default: '5m',
    description: 'How long a checked app password or token is remembered (never past the token\'s expiry).',
  }),
  maxCredentials: field(integer({ min: 0, max: 10_000_000 }), {
    default: 10000,
    description: 'Most remembered credentials; the least recently used are forgotten first. 0 disables the cache.',
  }),
  jwksCooldown: field(duration(), {
    default: '30s',
    description: 'Least time between two key-set fetches caused by unknown key ids while the IdP answers (a failed fetch starts none).',
  }),
  jwksMaxAge: field(duration(), { default: '10m', description: 'Age after which the IdP\'s key set is refreshed in the background.' }),
}).transform((value) => durationsInMs(value, ['credentialTtl', 'jwksCooldown', 'jwksMaxAge']));
