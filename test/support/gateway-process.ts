/**
 * The gateway started the way a user starts it: `node dist/cli.js run`, its own process, its
 * JSON log on stdout. For tests of behaviour that only a whole process shows (key caches
 * warmed by earlier requests, signals, configuration from the environment).
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_SECRET } from './gateway.js';

export const CLI = new URL('../../dist/cli.js', import.meta.url).pathname;

export interface GatewayProcess {
  readonly child: ChildProcess;
  /** `http://127.0.0.1:<port>` of the gateway listener. */
  readonly url: string;
  readonly port: number;
  /** The metrics/health listener, or null when disabled. */
  readonly health: string | null;
  /** Every JSON log line so far. */
  logs(): Record<string, unknown>[];
  /** Resolves with the first log line (from now or earlier) for which `match` is true. */
  waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

export interface SpawnOptions {
  /** YAML text written to a temporary file and passed with `--config`; absent, no `--config`. */
  readonly config?: string;
  readonly env?: Record<string, string>;
  /** Node's own flags, before the script (as an operator would type them). */
  readonly nodeFlags?: readonly string[];
  /** What must be logged before the gateway counts as started (default: "portcullis started"). */
  readonly startedWhen?: (line: Record<string, unknown>) => boolean;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export async function spawnGateway(options: SpawnOptions = {}): Promise<GatewayProcess> {
  const args = [...(options.nodeFlags ?? []), CLI, 'run'];
  if (options.config !== undefined) {
    const file = join(mkdtempSync(join(tmpdir(), 'portcullis-process-')), 'portcullis.yaml');
    writeFileSync(file, options.config);
    args.push('--config', file);
  }
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? '', PORTCULLIS_SECRET: TEST_SECRET, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const lines: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  let buffered = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      const text = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (text !== '') {
        try {
          lines.push(JSON.parse(text) as Record<string, unknown>);
        } catch {
          lines.push({ msg: text, unparsed: true });
        }
      }
      newline = buffered.indexOf('\n');
    }
    for (const wake of waiters) wake();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      running.delete(child);
      for (const wake of waiters) wake();
      resolve(code);
    }),
  );

  const waitForLog = (match: (line: Record<string, unknown>) => boolean, timeoutMs = 10_000): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = lines.find(match);
        if (found !== undefined) {
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
          return true;
        }
        if (child.exitCode !== null) {
          waiters.delete(check);
          clearTimeout(timer);
          reject(new Error(`the gateway exited (${child.exitCode}) before the awaited log line\n${stderr}\n${JSON.stringify(lines.slice(-20))}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no awaited log line within ${timeoutMs} ms\n${stderr}\n${JSON.stringify(lines.slice(-20))}`));
      }, timeoutMs);
      if (!check()) waiters.add(check);
    });

  const stop = async (): Promise<number | null> => {
    if (child.exitCode === null) child.kill('SIGTERM');
    return exited;
  };

  try {
    await waitForLog(options.startedWhen ?? ((line) => line.msg === 'portcullis started'));
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const started = lines.find((line) => line.msg === 'portcullis started');
  const gatewayUrl = typeof started?.gateway === 'string' ? started.gateway : '';
  const port = gatewayUrl === '' ? 0 : Number(new URL(gatewayUrl).port);
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    port,
    health: typeof started?.health === 'string' ? started.health : null,
    logs: () => [...lines],
    waitForLog,
    stop,
  };
}

/** Polls `/readyz` until it answers 200 (or gives up after `timeoutMs`). */
export async function untilReady(health: string | null, timeoutMs = 10_000): Promise<void> {
  if (health === null) return;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const res = await fetch(`${health}/readyz`).catch(() => null);
    if (res?.status === 200) return;
    await res?.body?.cancel();
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${health}/readyz never answered 200`);
}
