/**
 * Real Redis for session tests: the shared server at REDIS_URL, or private redis-server
 * processes on free ports (for outage tests). Unreachable Redis skips with a reason, except under
 * CI=true where it fails: CI must never pass by skipping.
 */

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe, it } from 'vitest';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const IN_CI = process.env.CI === 'true';
const REDIS_SERVER = process.env.REDIS_SERVER_BIN ?? 'redis-server';

/** null when Redis answers PING, else why not. */
export async function probeRedis(url: string): Promise<string | null> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  let connectionError: Error | undefined; // ECONNREFUSED and the like; connect() only says "closed"
  client.on('error', (error: Error) => (connectionError ??= error));
  try {
    await client.connect();
    await client.ping();
    return null;
  } catch (error) {
    return (connectionError ?? (error instanceof Error ? error : new Error(String(error)))).message;
  } finally {
    client.disconnect();
  }
}

/** `describe` when `unavailable` is null; otherwise skip with the reason (fail under CI=true). */
export function describeIfRedis(unavailable: string | null, name: string, body: () => void): void {
  if (unavailable === null) {
    describe(name, body);
  } else if (IN_CI) {
    describe(name, () => {
      it('needs Redis (CI=true: Redis tests must run, not skip)', () => {
        throw new Error(`Redis unavailable: ${unavailable}`);
      });
    });
  } else {
    console.warn(`[test/sessions] skipping "${name}": ${unavailable}`);
    describe.skip(`${name} (skipped: ${unavailable})`, body);
  }
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

export function testPrefix(): string {
  return `portcullis-test:${randomBytes(6).toString('hex')}:`;
}

/** Deletes every key under `prefix` (SCAN, never KEYS). */
export async function deleteKeys(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    if (keys.length > 0) await client.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** SIGSTOP: the server keeps its sockets open but answers nothing (a hung Redis). */
  pause(): void;
  resume(): void;
  /** SIGKILL, as if the host died; `restart` brings it back. */
  crash(): Promise<void>;
  /** Kills it for good and removes its working directory. */
  stop(): Promise<void>;
  /** Starts a fresh, empty server on the same port. */
  restart(): Promise<void>;
}

/** Why a private redis-server cannot be started, or null if it can. */
export async function probeRedisServer(): Promise<string | null> {
  try {
    const server = await startRedisServer();
    await server.stop();
    return null;
  } catch (error) {
    return `cannot start ${REDIS_SERVER}: ${error instanceof Error ? error.message : String(error)}`;
  }
}

export async function startRedisServer(extraArgs: readonly string[] = []): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-redis-'));
  let child = await launch(port, dir, extraArgs);
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    crash: () => terminate(child),
    stop: async () => {
      await terminate(child);
      rmSync(dir, { recursive: true, force: true });
    },
    restart: async () => {
      await terminate(child);
      child = await launch(port, dir, extraArgs);
    },
  };
}

async function launch(port: number, dir: string, extraArgs: readonly string[]): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extraArgs];
  const child = spawn(REDIS_SERVER, args, { stdio: 'ignore' });
  const failed = new Promise<never>((_, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`)));
  });
  await Promise.race([failed, waitForPing(`redis://127.0.0.1:${port}`)]);
  failed.catch(() => {});
  return child;
}

async function waitForPing(url: string): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const reason = await probeRedis(url);
    if (reason === null) return;
    if (Date.now() > deadline) throw new Error(`redis-server on ${url} did not answer: ${reason}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGCONT');
  child.kill('SIGKILL');
  await exited;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface RedisCluster {
  readonly urls: readonly string[];
  stop(): Promise<void>;
}

const SLOTS = 16384;

/**
 * Three masters, no replicas, slots split in thirds: joined with CLUSTER MEET directly, which is
 * faster than `redis-cli --cluster create` and needs only redis-server.
 */
export async function startRedisCluster(): Promise<RedisCluster> {
  const nodes: RedisServer[] = [];
  try {
    for (let i = 0; i < 3; i += 1) nodes.push(await startRedisServer(['--cluster-enabled', 'yes', '--cluster-node-timeout', '2000']));
    const clients = nodes.map((node) => new Redis(node.url));
    try {
      await Promise.all(clients.map((client, i) => client.call('CLUSTER', 'ADDSLOTSRANGE', Math.floor((i * SLOTS) / 3), Math.floor(((i + 1) * SLOTS) / 3) - 1)));
      for (const node of nodes.slice(1)) await clients[0]!.call('CLUSTER', 'MEET', '127.0.0.1', node.port);
      await waitForClusterOk(clients);
    } finally {
      for (const client of clients) client.disconnect();
    }
  } catch (error) {
    await Promise.all(nodes.map((node) => node.stop()));
    throw error;
  }
  return { urls: nodes.map((node) => node.url), stop: async () => void (await Promise.all(nodes.map((node) => node.stop()))) };
}

async function waitForClusterOk(clients: readonly Redis[]): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const infos = await Promise.all(clients.map((client) => client.call('CLUSTER', 'INFO')));
    if (infos.every((info) => String(info).includes('cluster_state:ok'))) return;
    if (Date.now() > deadline) throw new Error('Redis cluster did not reach cluster_state:ok');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A Redis Sentinel watching `masterPort` as master `name` (quorum 1). */
export async function startRedisSentinel(masterPort: number, name: string): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-sentinel-'));
  const configFile = join(dir, 'sentinel.conf'); // Sentinel rewrites its config: it must be writable
  writeFileSync(configFile, `port ${port}\nbind 127.0.0.1\ndir ${dir}\nsentinel monitor ${name} 127.0.0.1 ${masterPort} 1\n`);
  const child = spawn(REDIS_SERVER, [configFile, '--sentinel'], { stdio: 'ignore' });
  const failed = new Promise<never>((_, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`redis-server --sentinel exited with ${code}`)));
  });
  failed.catch(() => {});
  await Promise.race([failed, waitForPing(`redis://127.0.0.1:${port}`)]);
  const stop = async (): Promise<void> => {
    await terminate(child);
    rmSync(dir, { recursive: true, force: true });
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    crash: () => terminate(child),
    stop,
    restart: () => Promise.reject(new Error('not supported for a sentinel')),
  };
}
