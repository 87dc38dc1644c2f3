/**
 * Builds the ioredis client for `sessions.redis`. Every connection fails fast: bounded connect
 * and command timeouts, no offline queue, one retry per command, so a dead Redis turns into a
 * quick 503 instead of requests piling up. Reconnection never gives up, so the store heals by
 * itself when Redis comes back.
 */

import { Cluster, Redis } from 'ioredis';
import type { ClusterNode, RedisOptions, SentinelAddress } from 'ioredis';
import type { RedisConfig } from '../config/types.js';
import { PortcullisError } from '../errors/index.js';

export interface RedisTimeouts {
  /** Opening a TCP (and TLS) connection. Default 1000 ms. */
  readonly connectTimeoutMs?: number;
  /** Waiting for any single reply. Default 1000 ms. */
  readonly commandTimeoutMs?: number;
}

/** The part of ioredis's Redis and Cluster clients the store uses. */
export interface RedisConnection {
  readonly status: string;
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
  on(event: 'ready' | 'close' | 'end', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'ready' | 'close' | 'end', listener: () => void): unknown;
  quit(): Promise<unknown>;
  disconnect(): void;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 1000;
export const DEFAULT_COMMAND_TIMEOUT_MS = 1000;
const MAX_RECONNECT_DELAY_MS = 1000;

/**
 * Accepted forms:
 * - `redis://[[user]:password@]host[:port][/db]` and `rediss://…` (TLS): one server.
 * - `redis+sentinel://[[user]:password@]host1[:port1][,host2[:port2]…]/<masterName>[/<db>][?sentinelPassword=…&sentinelUsername=…]`:
 *   Sentinel; ports default to 26379, `user`/`password` authenticate to the master and replicas,
 *   the query parameters to the sentinels (percent-encoded). IPv6 hosts in brackets: `[::1]:26379`.
 * - `cluster: [urls]` (non-empty): Redis Cluster seeded from those `redis://` / `rediss://` URLs;
 *   credentials and TLS are taken from the first one.
 */
export function createRedisClient(config: RedisConfig, timeouts: RedisTimeouts = {}): Redis | Cluster {
  const base = baseOptions(timeouts);
  if (config.cluster.length > 0) return createCluster(config.cluster, base);
  if (config.url.startsWith('redis+sentinel://')) return new Redis({ ...base, ...parseSentinelUrl(config.url) });
  if (config.url.startsWith('redis://') || config.url.startsWith('rediss://')) return new Redis(config.url, base);
  throw invalidUrl('sessions.redis.url', 'expected a redis://, rediss:// or redis+sentinel:// URL');
}

function baseOptions(timeouts: RedisTimeouts): RedisOptions {
  return {
    connectTimeout: timeouts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    commandTimeout: timeouts.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    retryStrategy: reconnectDelay,
  };
}

function reconnectDelay(attempt: number): number {
  return Math.min(50 * 2 ** attempt, MAX_RECONNECT_DELAY_MS);
}

function createCluster(urls: readonly string[], base: RedisOptions): Cluster {
  const nodes: ClusterNode[] = urls.map((url, index) => {
    const parsed = parseServerUrl(url, `sessions.redis.cluster[${index}]`);
    return { host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(parsed.port || 6379) };
  });
  const first = parseServerUrl(urls[0] ?? '', 'sessions.redis.cluster[0]');
  const { retryStrategy: _standaloneOnly, enableOfflineQueue: _clusterLevel, ...redisOptions } = base;
  return new Cluster(nodes, {
    enableOfflineQueue: false,
    clusterRetryStrategy: reconnectDelay,
    redisOptions: {
      ...redisOptions,
      ...(first.username === '' ? {} : { username: decodeURIComponent(first.username) }),
      ...(first.password === '' ? {} : { password: decodeURIComponent(first.password) }),
      ...(first.protocol === 'rediss:' ? { tls: {} } : {}),
    },
  });
}

function parseServerUrl(url: string, path: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidUrl(path, 'expected a redis:// or rediss:// URL');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw invalidUrl(path, 'expected a redis:// or rediss:// URL');
  return parsed;
}

const SENTINEL_URL = /^redis\+sentinel:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?#@]+)\/([^/?#]+)(?:\/(\d+))?\/?(?:\?([^#]*))?$/;

/** Options for ioredis's Sentinel mode from a `redis+sentinel://` URL (format: see createRedisClient). */
export function parseSentinelUrl(url: string): Pick<RedisOptions, 'sentinels' | 'name' | 'db' | 'username' | 'password' | 'sentinelUsername' | 'sentinelPassword'> {
  const match = SENTINEL_URL.exec(url);
  const [, user, password, hostList, master, db, query] = match ?? [];
  if (hostList === undefined || master === undefined) {
    throw invalidUrl('sessions.redis.url', 'expected redis+sentinel://[:password@]host1:port1,host2:port2/<masterName>[/<db>]');
  }
  const params = new URLSearchParams(query ?? '');
  const sentinelUsername = params.get('sentinelUsername');
  const sentinelPassword = params.get('sentinelPassword');
  return {
    sentinels: hostList.split(',').map(parseSentinelAddress),
    name: decodeURIComponent(master),
    db: db === undefined ? 0 : Number(db),
    ...(user === undefined || user === '' ? {} : { username: decodeURIComponent(user) }),
    ...(password === undefined || password === '' ? {} : { password: decodeURIComponent(password) }),
    ...(sentinelUsername === null ? {} : { sentinelUsername }),
    ...(sentinelPassword === null ? {} : { sentinelPassword }),
  };
}

const SENTINEL_ADDRESS = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/;

function parseSentinelAddress(text: string): Partial<SentinelAddress> {
  const match = SENTINEL_ADDRESS.exec(text);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3] ?? 26379);
  if (host === undefined || port < 1 || port > 65535) {
    throw invalidUrl('sessions.redis.url', `sentinel address ${JSON.stringify(text)} is not host[:port]`);
  }
  return { host, port };
}

function invalidUrl(path: string, expected: string): PortcullisError {
  return new PortcullisError('PCL_CONFIG_INVALID', `${path}: ${expected}`);
}
