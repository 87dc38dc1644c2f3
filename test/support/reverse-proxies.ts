/**
 * Real nginx and Caddy processes for forward-auth tests: each runs on a loopback port from a
 * configuration written into its own temporary folder (logs, temp files, HOME and XDG
 * folders included), so nothing of the machine's installation is read or written, and is
 * stopped by its process id.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pollUntil } from './wait.js';

export const NGINX_PATH = '/usr/sbin/nginx';
export const CADDY_PATH = '/usr/bin/caddy';

export interface RunningProxy {
  readonly port: number;
  /** Everything the proxy logged so far (error log, stderr), for failure messages. */
  logs(): Promise<string>;
  close(): Promise<void>;
}

/**
 * nginx with `serverBody` as the body of one `server { }` listening on 127.0.0.1:`port`, and
 * `httpBody` (upstream { } blocks, say) beside it in the `http { }` block.
 */
export async function startNginx(serverBody: string, port: number, httpBody = ''): Promise<RunningProxy> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-nginx-'));
  const conf = join(dir, 'nginx.conf');
  await writeFile(
    conf,
    `worker_processes 1;
error_log ${dir}/error.log info;
events { worker_connections 256; }
http {
    access_log ${dir}/access.log;
    client_body_temp_path ${dir}/body;
    proxy_temp_path ${dir}/proxy;
    fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi;
    scgi_temp_path ${dir}/scgi;
${indent(httpBody, '    ')}
    server {
        listen 127.0.0.1:${port};
        server_name _;
${indent(serverBody, '        ')}
    }
}
`,
  );
  const child = spawn(NGINX_PATH, ['-p', dir, '-c', conf, '-g', `daemon off; pid ${dir}/nginx.pid;`], { stdio: ['ignore', 'pipe', 'pipe'] });
  return running('nginx', child, dir, port, async () => `${await readOptional(join(dir, 'error.log'))}`);
}

/** Caddy with `siteBlock` (a Caddyfile site block), admin endpoint and automatic HTTPS off. */
export async function startCaddy(siteBlock: string, port: number): Promise<RunningProxy> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-caddy-'));
  const file = join(dir, 'Caddyfile');
  await writeFile(file, `{\n\tadmin off\n\tauto_https off\n}\n\n${siteBlock}`);
  const child = spawn(CADDY_PATH, ['run', '--config', file, '--adapter', 'caddyfile'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') },
  });
  return running('caddy', child, dir, port, async () => '');
}

async function running(name: string, child: ChildProcess, dir: string, port: number, extraLogs: () => Promise<string>): Promise<RunningProxy> {
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  const logs = async (): Promise<string> => `${output}${await extraLogs()}`;
  const close = async (): Promise<void> => {
    if (exitCode === undefined && child.pid !== undefined) {
      process.kill(child.pid, 'SIGTERM');
      const timer = setTimeout(() => child.pid !== undefined && exitCode === undefined && process.kill(child.pid, 'SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await pollUntil(`${name} listens on 127.0.0.1:${port}`, async () => {
      if (exitCode !== undefined) {
        throw new Error(`${name} exited with ${exitCode}: ${await logs()}`);
      }
      return accepts(port);
    });
  } catch (error) {
    const text = await logs();
    await close();
    throw new Error(`${name} did not start: ${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)}\n${text}`);
  }
  return { port, logs, close };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function readOptional(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return '';
  }
}

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((line) => (line === '' ? line : `${prefix}${line}`))
    .join('\n');
}
