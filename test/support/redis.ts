/**
 * Redis for integration tests: the shared server at `REDIS_URL` (default
 * redis://127.0.0.1:6379) under a random key prefix per suite, and private `redis-server`
 * processes a test may stop and restart.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { freePort, pollUntil } from './wait.js';
import { REDIS_SERVER_PATH } from './real-parts.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

function client(url: string): Redis {
  return new Redis(url, { lazyConnect: true, connectTimeout: 1_000, commandTimeout: 1_000, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
}

/** null when Redis at `url` answers PING, else why not. */
export async function redisProblem(url: string = REDIS_URL): Promise<string | null> {
  const redis = client(url);
  redis.on('error', () => {});
  try {
    await redis.connect();
    const pong = await redis.ping();
    return pong === 'PONG' ? null : `${url} answered ${pong} to PING`;
  } catch (error) {
    return `${url} did not answer PING (${error instanceof Error ? error.message : String(error)}); set REDIS_URL or start redis-server`;
  } finally {
    redis.disconnect();
  }
}

/** A key prefix no other suite (or run) uses: `portcullis-test-<random>:`. */
export function newKeyPrefix(): string {
  return `portcullis-test-${randomBytes(6).toString('hex')}:`;
}

export async function keysUnder(url: string, prefix: string): Promise<string[]> {
  const redis = client(url);
  redis.on('error', () => {});
  try {
    await redis.connect();
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    return keys;
  } finally {
    redis.disconnect();
  }
}

/** Deletes every key under `prefix`; returns how many there were. */
export async function deleteKeysUnder(url: string, prefix: string): Promise<number> {
  const keys = await keysUnder(url, prefix);
  if (keys.length === 0) return 0;
  const redis = client(url);
  redis.on('error', () => {});
  try {
    await redis.connect();
    for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
    return keys.length;
  } finally {
    redis.disconnect();
  }
}

/**
 * A `redis-server` of the test's own, on loopback, keeping nothing on disk: stopping it loses
 * every key, like a crashed cache node.
 */
export class RedisServerProcess {
  readonly port: number;
  #child: ChildProcess | undefined;
  #output = '';

  private constructor(port: number) {
    this.port = port;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(port?: number): Promise<RedisServerProcess> {
    const server = new RedisServerProcess(port ?? (await freePort()));
    await server.restart();
    return server;
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  /** Starts the server (again, on the same port); resolves when it answers PING. */
  async restart(): Promise<void> {
    if (this.#child !== undefined) throw new Error('redis-server is already running');
    const child = spawn(REDIS_SERVER_PATH, ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    child.stdout?.on('data', (chunk: Buffer) => (this.#output += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (this.#output += chunk.toString('utf8')));
    child.once('exit', () => {
      if (this.#child === child) this.#child = undefined;
    });
    await pollUntil(`redis-server on port ${this.port} answers PING`, async () => {
      if (this.#child !== child) throw new Error(`redis-server exited: ${this.#output.slice(-500)}`);
      return (await redisProblem(this.url)) === null;
    });
  }

  /** Kills the server (SIGKILL: nothing is flushed, connections drop at once). */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
    this.#child = undefined;
  }
}
