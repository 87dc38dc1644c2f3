/**
 * `workers: 2` as a user runs it: `node dist/cli.js run`, a cluster primary and two worker
 * processes on one port, sessions in Redis (REDIS_URL, under a key prefix of this suite's own,
 * deleted afterwards), the dev IdP over HTTP. Which worker answered a request is read from the
 * access log on stdout (its `worker` binding), never from anything a client sees.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAlice, startDevStack, type DevStack } from '../idp/dev-stack.js';
import { spawnGateway, untilReady, type GatewayProcess } from '../support/gateway-process.js';
import { proxyConfig } from '../support/gateway.js';
import { describeNeeding } from '../support/real-parts.js';
import { deleteKeysUnder, newKeyPrefix, REDIS_URL, redisProblem } from '../support/redis.js';
import { freePort, pollUntil } from '../support/wait.js';

const problem = await redisProblem();

interface Answer {
  readonly status: number;
  readonly body: string;
}

/** One request on a connection of its own (the cluster hands out connections, not requests). */
function send(port: number, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers: { host: `app.localhost:${port}`, ...headers }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** The `worker` binding of the access-log line of `path`. */
async function workerOf(gateway: GatewayProcess, path: string): Promise<number> {
  const line = await gateway.waitForLog((l) => l.msg === 'request' && l.path === path);
  return line.worker as number;
}

function upstreamHeaders(answer: Answer): Record<string, string | undefined> {
  if (answer.status !== 200) throw new Error(`expected the upstream's 200, got ${answer.status}: ${answer.body.slice(0, 200)}`);
  return (JSON.parse(answer.body) as { headers: Record<string, string | undefined> }).headers;
}

function cookieOf(stackOrigin: string, browser: { cookieNames(url: string): string[]; cookie(url: string, name: string): string | undefined }): string {
  return browser.cookieNames(stackOrigin).map((name) => `${name}=${browser.cookie(stackOrigin, name) ?? ''}`).join('; ');
}

function configFileOf(gateway: GatewayProcess): string {
  const args = gateway.child.spawnargs;
  return args[args.indexOf('--config') + 1] ?? '';
}

function metricValue(text: string, name: string, labels = ''): number {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}${labels === '' ? '' : `{${labels}`}`) && (labels !== '' || line.startsWith(`${name} `)))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

const NO_REDIRECT = { 'x-authentik-no-redirect': '1' };

describeNeeding('Redis', problem, 'workers: 2 (one port, two gateway processes)', () => {
  const prefix = newKeyPrefix();
  let stack: DevStack;
  let port: number;
  let gateway: GatewayProcess;
  let counter = 0;
  const path = (label: string): string => `/${label}-${(counter += 1)}`;

  const configWith = (extra = ''): string =>
    proxyConfig({
      port,
      name: 'app',
      externalHost: stack.origin('app'),
      upstream: stack.echo.url,
      issuer: stack.idp.issuer,
      extra,
      top: `workers: 2\nsessions: { store: redis, redis: { url: "${REDIS_URL}", keyPrefix: "${prefix}" } }`,
    });

  /** Fresh connections until both workers have answered; returns the workers in answer order. */
  async function spread(label: string, headers: Record<string, string> = NO_REDIRECT, expected = 401): Promise<number[]> {
    const seen: number[] = [];
    for (let i = 0; i < 6 && new Set(seen).size < 2; i += 1) {
      const p = path(label);
      expect((await send(port, p, headers)).status).toBe(expected);
      seen.push(await workerOf(gateway, p));
    }
    return seen;
  }

  beforeAll(async () => {
    stack = await startDevStack({ apps: ['app'] });
    port = Number(new URL(stack.origin('app')).port);
    gateway = await spawnGateway({ config: configWith() });
    await untilReady(gateway.health, 30_000);
  });
  afterAll(async () => {
    if (gateway !== undefined && gateway.child.exitCode === null) gateway.child.kill('SIGKILL');
    await stack?.close();
    await deleteKeysUnder(REDIS_URL, prefix);
  });

  it('says once that it started, with the primary\'s operations listener and both worker pids', () => {
    const started = gateway.logs().filter((line) => line.msg === 'portcullis started');
    expect(started).toHaveLength(1);
    expect(started[0]).toMatchObject({ role: 'primary', workers: 2 });
    const pids = started[0]?.pids as number[];
    expect(new Set(pids).size).toBe(2);
    const workers = gateway.logs().filter((line) => line.msg === 'worker started');
    expect(workers.map((line) => line.pid).sort()).toEqual([...pids].sort());
    expect(workers.every((line) => line.health === null)).toBe(true);
  });

  it('serves connections from both workers', async () => {
    expect(new Set(await spread('both'))).toEqual(new Set([1, 2]));
  });

  it('accepts a session cookie made through one worker on the other', async () => {
    const { browser, final } = await loginAlice(stack.origin('app'));
    expect(upstreamHeaders({ status: final?.status ?? 0, body: final?.body ?? '' })['x-authentik-username']).toBe('alice');
    // Access-log lines are written in batches, up to 100 ms after the request.
    const madeBy = await workerOf(gateway, '/outpost.goauthentik.io/callback');
    expect([1, 2]).toContain(madeBy);
    const cookie = cookieOf(stack.origin('app'), browser);
    const servedBy = new Set<number>();
    for (let i = 0; i < 6 && !servedBy.has(3 - madeBy); i += 1) {
      const p = path('session');
      const answer = await send(port, p, { ...NO_REDIRECT, cookie });
      expect(upstreamHeaders(answer)['x-authentik-username']).toBe('alice');
      const line = await workerOf(gateway, p);
      servedBy.add(line);
    }
    expect(servedBy.has(3 - madeBy)).toBe(true);
  });

  it('sums the requests of both workers in /metrics on the primary', async () => {
    const before = await (await fetch(`${gateway.health}/metrics`)).text();
    const workers = await spread('metrics');
    const after = await (await fetch(`${gateway.health}/metrics`)).text();
    const challenged = 'portcullis_requests_total{app="app",outcome="challenged",auth_method="none"}';
    const count = (text: string): number => Number(text.split('\n').find((line) => line.startsWith(challenged))?.split(' ').pop() ?? '0');
    expect(count(after) - count(before)).toBe(workers.length);
    expect(metricValue(after, 'portcullis_workers_scraped')).toBe(2);
    expect(metricValue(after, 'portcullis_workers_listening')).toBe(2);
  });

  it('is ready while every worker is, and applies SIGHUP in every worker', async () => {
    expect((await fetch(`${gateway.health}/readyz`)).status).toBe(200);
    expect((await fetch(`${gateway.health}/healthz`)).status).toBe(200);
    const file = configFileOf(gateway);
    writeFileSync(file, configWith('additionalHeaders: { x-reloaded: "yes" }'));
    const reloadsBefore = gateway.logs().filter((line) => line.msg === 'configuration reloaded').length;
    gateway.child.kill('SIGHUP');
    await pollUntil('both workers reloaded', () => gateway.logs().filter((line) => line.msg === 'configuration reloaded').length >= reloadsBefore + 2, { timeoutMs: 15_000 });
    const reloaded = gateway.logs().filter((line) => line.msg === 'configuration reloaded').slice(reloadsBefore);
    expect(new Set(reloaded.map((line) => line.worker))).toEqual(new Set([1, 2]));
    expect(readFileSync(file, 'utf8')).toContain('x-reloaded');
    const { browser } = await loginAlice(stack.origin('app'));
    const cookie = cookieOf(stack.origin('app'), browser);
    const servedBy = new Set<number>();
    for (let i = 0; i < 6 && servedBy.size < 2; i += 1) {
      const p = path('reloaded');
      expect(upstreamHeaders(await send(port, p, { ...NO_REDIRECT, cookie }))['x-reloaded']).toBe('yes');
      servedBy.add(await workerOf(gateway, p));
    }
    expect(servedBy).toEqual(new Set([1, 2]));
  });

  it('replaces a worker that was killed, and is not ready until then', async () => {
    const started = gateway.logs().find((line) => line.msg === 'worker started' && line.worker === 1);
    process.kill(started?.pid as number, 'SIGKILL');
    const died = await gateway.waitForLog((line) => line.msg === 'worker died unexpectedly; replacing it');
    expect(died).toMatchObject({ role: 'primary', worker: 1, signal: 'SIGKILL' });
    expect((await fetch(`${gateway.health}/readyz`)).status).toBe(503);
    const replaced = await gateway.waitForLog((line) => line.msg === 'worker replaced', 20_000);
    expect(replaced.worker).toBe(3);
    await untilReady(gateway.health, 20_000);
    expect(new Set(await spread('replaced'))).toEqual(new Set([2, 3]));
    const metrics = await (await fetch(`${gateway.health}/metrics`)).text();
    expect(metricValue(metrics, 'portcullis_worker_restarts_total')).toBe(1);
  });

  it('drains every worker on SIGTERM and exits 0', async () => {
    const { browser } = await loginAlice(stack.origin('app'));
    const cookie = cookieOf(stack.origin('app'), browser);
    // In flight at the upstream when the primary is asked to stop: it finishes before the exit.
    const slow = send(port, '/slow?ms=1500', { ...NO_REDIRECT, cookie });
    await new Promise((resolve) => setTimeout(resolve, 400));
    const code = gateway.stop();
    expect(upstreamHeaders(await slow)['x-authentik-username']).toBe('alice');
    expect(await code).toBe(0);
    const exits = gateway.logs().filter((line) => line.msg === 'worker exited');
    expect(exits.map((line) => line.code)).toEqual([0, 0]);
  });
});

describeNeeding('Redis', problem, 'workers: 2 that cannot start', () => {
  let taken: Server;
  beforeAll(async () => {
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => taken.close(() => resolve())));

  it('exits 1 when the gateway port is taken, instead of re-forking workers that cannot listen', async () => {
    const address = taken.address();
    const busy = typeof address === 'object' && address !== null ? address.port : 0;
    const health = await freePort();
    const started = spawnGateway({
      config: proxyConfig({ port: busy, upstream: 'http://127.0.0.1:9', top: `workers: 2\nsessions: { store: redis, redis: { url: "${REDIS_URL}" } }` }).replace(
        'metricsListen: "127.0.0.1:0"',
        `metricsListen: "127.0.0.1:${health}"`,
      ),
    });
    await expect(started).rejects.toThrow(/exited \(1\)/);
  });
});

describe('workers: 1', () => {
  it('runs one process with no primary, as before', async () => {
    const gateway = await spawnGateway({ config: proxyConfig({ upstream: 'http://127.0.0.1:9', top: 'workers: 1' }) });
    try {
      const started = gateway.logs().find((line) => line.msg === 'portcullis started');
      expect(started?.role).toBeUndefined();
      expect(started?.health).toMatch(/^http:/);
      expect(gateway.logs().some((line) => line.msg === 'worker started')).toBe(false);
    } finally {
      expect(await gateway.stop()).toBe(0);
    }
  });
});
