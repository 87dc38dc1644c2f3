/** Picks and builds the configured session store. */

import type { SessionsConfig } from '../config/types.js';
import { MemorySessionStore } from './memory-store.js';
import { createRedisClient } from './redis-client.js';
import type { RedisTimeouts } from './redis-client.js';
import { RedisSessionStore } from './redis-store.js';
import type { Clock, RandomBytes, SessionStore } from './store.js';

export interface SessionStoreDeps {
  /** `config.secret`: seals Redis records and names per-user indexes. */
  readonly secret: string;
  readonly now?: Clock;
  readonly randomBytes?: RandomBytes;
  /** Memory store bound; default 100,000 sessions. */
  readonly maxSessions?: number;
  /** Redis connect and command timeouts; default 1000 ms each. */
  readonly redisTimeouts?: RedisTimeouts;
  /** Redis connection errors between commands, for logging. */
  readonly onRedisError?: (error: Error) => void;
}

/**
 * How long a replica answers a session from memory after reading it from Redis (docs/operations.md,
 * "Sessions in Redis"). Sign-outs reach every replica through the revocation channel at once;
 * this bounds only what a lost message, or a change made outside Portcullis, can leave behind.
 */
export const MEMO_TTL_MS = 5_000;
const MEMO_MAX_ENTRIES = 10_000;

export function createSessionStore(config: SessionsConfig, deps: SessionStoreDeps): SessionStore {
  const clock = deps.now === undefined ? {} : { now: deps.now };
  const random = deps.randomBytes === undefined ? {} : { randomBytes: deps.randomBytes };
  if (config.store === 'memory') {
    return new MemorySessionStore({ lifetimeMs: config.lifetimeMs, ...clock, ...random, ...(deps.maxSessions === undefined ? {} : { maxSessions: deps.maxSessions }) });
  }
  const timeouts = deps.redisTimeouts ?? {};
  const client = createRedisClient(config.redis, timeouts);
  return new RedisSessionStore({
    client,
    revocations: { subscriber: client.duplicate(), memo: { ttlMs: MEMO_TTL_MS, maxEntries: MEMO_MAX_ENTRIES } },
    secret: deps.secret,
    keyPrefix: config.redis.keyPrefix,
    lifetimeMs: config.lifetimeMs,
    ...(timeouts.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: timeouts.connectTimeoutMs }),
    ...(deps.onRedisError === undefined ? {} : { onError: deps.onRedisError }),
    ...clock,
    ...random,
  });
}
