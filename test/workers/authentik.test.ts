/**
 * `workers: 2` in authentik mode (the local file sets it): each worker follows authentik's API
 * itself, like a replica of the outpost (its own instance, websocket and fetches), and SIGUSR1
 * on the primary makes every worker re-fetch. Sessions in Redis at REDIS_URL under a key
 * prefix of this suite's own, deleted afterwards.
 */

import { mkdtempSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { untilReady, type GatewayProcess } from '../support/gateway-process.js';
import { eventually, startOutpostStack, type OutpostStack } from '../support/outpost-stack.js';
import { describeNeeding } from '../support/real-parts.js';
import { deleteKeysUnder, newKeyPrefix, REDIS_URL, redisProblem } from '../support/redis.js';

const problem = await redisProblem();

/** One request to `app` on a connection of its own; resolves with the status. */
function send(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers: { host: `app.localhost:${port}`, 'x-authentik-no-redirect': '1' }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describeNeeding('Redis', problem, 'workers: 2 configured by authentik', () => {
  const prefix = newKeyPrefix();
  let stack: OutpostStack;
  let gateway: GatewayProcess;
  let counter = 0;

  /** Statuses of fresh connections, with the worker that answered each, until both answered. */
  async function fromBoth(label: string): Promise<Map<number, number>> {
    const byWorker = new Map<number, number>();
    for (let i = 0; i < 6 && byWorker.size < 2; i += 1) {
      const path = `/${label}/${(counter += 1)}`;
      const status = await send(stack.port, path);
      const line = await gateway.waitForLog((l) => l.msg === 'request' && l.path === path);
      byWorker.set(line.worker as number, status);
    }
    return byWorker;
  }

  beforeAll(async () => {
    stack = await startOutpostStack();
    const file = join(mkdtempSync(join(tmpdir(), 'portcullis-workers-')), 'portcullis.yaml');
    writeFileSync(file, `workers: 2\nsessions: { store: redis, redis: { url: "${REDIS_URL}", keyPrefix: "${prefix}" } }\n`);
    gateway = await stack.spawn({ PORTCULLIS_CONFIG: file });
    await untilReady(gateway.health, 30_000);
  });
  afterAll(async () => {
    await stack?.close();
    await deleteKeysUnder(REDIS_URL, prefix);
  });

  it('runs each worker as its own outpost instance, connected to authentik', async () => {
    const workers = gateway.logs().filter((line) => line.msg === 'worker started');
    const instances = new Set(workers.map((line) => line.instance));
    expect(instances.size).toBe(2);
    for (const instance of instances) {
      await stack.idp.outpost.waitForConnection((c) => c.authorized && c.state === 'open' && c.instanceUuid === instance);
    }
    const statuses = await fromBoth('private');
    expect([...statuses.keys()].sort()).toEqual([1, 2]);
    expect([...statuses.values()]).toEqual([401, 401]);
  });

  it('makes every worker re-fetch on SIGUSR1', async () => {
    try {
      await stack.idp.outpost.setProvider(1, { skipPathRegex: '^/usr1/' });
      gateway.child.kill('SIGUSR1');
      await eventually(async () => [...(await fromBoth('usr1')).values()].every((status) => status === 200), 10_000, 'the re-fetch in both workers');
    } finally {
      await stack.idp.outpost.setProvider(1, { skipPathRegex: '^/public/' });
    }
  });

  it('drains both workers on SIGTERM and exits 0', async () => {
    expect(await gateway.stop()).toBe(0);
  });
});
