/**
 * One server of the benchmark, in its own process (started by run.mjs with an IPC channel),
 * so that no server shares an event loop with the load generator or with another server.
 *
 *   node bench/server.mjs <role> [json options]
 *
 * Roles: `upstream` (the echo upstream of src/demo), `idp` (the development IdP), `bare-proxy`
 * (Fastify + @fastify/http-proxy, nothing else; `addHeaders` adds static request headers),
 * `bare-route` (a Fastify route answering an empty 200; `headers` adds static response
 * headers), `portcullis` (the gateway from dist/, or from options.dist).
 *
 * The parent talks to it with `{ id, cmd, args }` messages and gets `{ id, result }` or
 * `{ id, error }` back: `calls` / `reset-calls` (idp), `profile-start` / `profile-stop`
 * (V8's sampling CPU profiler, the one `node --cpu-prof` uses, on this process),
 * `allocations-start` / `allocations-stop` (V8's sampling heap profiler, garbage included), `memory`,
 * `close`. The first message a server sends is `{ ready: { url, ... } }`.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { deleteKeys } from './redis.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const role = process.argv[2];
const options = JSON.parse(process.argv[3] ?? '{}');
const dist = resolve(options.dist ?? join(ROOT, 'dist'));
const fromDist = (path) => import(pathToFileURL(join(dist, path)).href);

/** Role-specific commands and the close function, filled in by the role's start-up. */
const commands = {};
let closeServer = async () => {};

const profiler = {
  session: null,
  async start(intervalUs) {
    this.session = new Session();
    this.session.connect();
    await this.session.post('Profiler.enable');
    await this.session.post('Profiler.setSamplingInterval', { interval: intervalUs ?? 1000 });
    await this.session.post('Profiler.start');
  },
  async stop(file) {
    const { profile } = await this.session.post('Profiler.stop');
    await this.session.post('Profiler.disable');
    this.session.disconnect();
    this.session = null;
    writeFileSync(file, JSON.stringify(profile));
    return file;
  },
};

/** V8's sampling heap profiler, counting what was allocated, collected garbage included. */
const allocations = {
  session: null,
  /** `live`: only what is still reachable when sampling stops (what the process keeps). */
  async start(live = false) {
    this.session = new Session();
    this.session.connect();
    await this.session.post('HeapProfiler.enable');
    await this.session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: !live, includeObjectsCollectedByMinorGC: !live });
  },
  async stop(file) {
    const { profile } = await this.session.post('HeapProfiler.stopSampling');
    await this.session.post('HeapProfiler.disable');
    this.session.disconnect();
    this.session = null;
    writeFileSync(file, JSON.stringify(profile));
    return file;
  },
};

const common = {
  'profile-start': ({ intervalUs } = {}) => profiler.start(intervalUs),
  'profile-stop': ({ file }) => profiler.stop(file),
  'allocations-start': ({ live } = {}) => allocations.start(live === true),
  'allocations-stop': ({ file }) => allocations.stop(file),
  memory: () => process.memoryUsage(),
  close: async () => {
    await closeServer();
    setImmediate(() => process.exit(0));
    return true;
  },
};

process.on('message', async ({ id, cmd, args }) => {
  try {
    const run = commands[cmd] ?? common[cmd];
    if (run === undefined) throw new Error(`unknown command ${cmd} for role ${role}`);
    process.send({ id, result: (await run(args)) ?? null });
  } catch (error) {
    process.send({ id, error: error instanceof Error ? error.stack : String(error) });
  }
});
// The parent going away (Ctrl-C, a crash) takes the servers with it.
process.on('disconnect', () => process.exit(0));

async function startUpstream() {
  const { startEchoUpstream } = await fromDist('demo/echo-upstream.js');
  const echo = await startEchoUpstream({ host: '127.0.0.1', port: 0 });
  closeServer = () => echo.close();
  return { url: echo.url };
}

async function startIdp() {
  const { startDevIdp } = await fromDist('devidp/index.js');
  // The demo's users: alice and bob with app passwords, the `portcullis` client.
  const idp = await startDevIdp({ users: join(ROOT, 'src/demo/users.yaml'), host: '127.0.0.1', port: 0, ttl: { accessToken: 3600 } });
  commands.calls = () => {
    const endpoints = ['discovery', 'jwks', 'token', 'introspection', 'userinfo'];
    return { total: idp.calls(), ...Object.fromEntries(endpoints.map((endpoint) => [endpoint, idp.calls(endpoint)])) };
  };
  commands['reset-calls'] = () => idp.resetCalls();
  closeServer = () => idp.close();
  return { url: idp.url, issuer: idp.issuer };
}

async function startBareProxy() {
  const { default: Fastify } = await import('fastify');
  const { default: httpProxy } = await import('@fastify/http-proxy');
  const app = Fastify({ logger: false });
  // options.addHeaders: static headers added to every upstream request (the diagnostic row
  // that sends the upstream as many bytes as Portcullis does, with none of its logic).
  const add = options.addHeaders;
  await app.register(httpProxy, {
    upstream: options.upstream,
    prefix: '/',
    ...(add === undefined ? {} : { replyOptions: { rewriteRequestHeaders: (_request, headers) => ({ ...headers, ...add }) } }),
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  closeServer = () => app.close();
  return { url };
}

async function startBareRoute() {
  const { default: Fastify } = await import('fastify');
  const app = Fastify({ logger: false });
  // options.headers: static response headers (the diagnostic row answering as many bytes as
  // the decision endpoint does).
  const headers = options.headers ?? {};
  app.all('/outpost.goauthentik.io/auth/nginx', async (_request, reply) => reply.code(200).headers(headers).send());
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  closeServer = () => app.close();
  return { url };
}

/**
 * The gateway as `portcullis run` would build it, with a proxy-mode application `app`
 * (Host app.test, upstream: the echo server) and a forward_single application `fwd` (Host
 * fwd.test) for the nginx decision endpoint. Access logs go to stdout, which run.mjs points
 * at /dev/null: the JSON line per request is written and paid for, as in production.
 */
async function startPortcullis() {
  const { parseConfig } = await fromDist('config/index.js');
  const { createGateway } = await fromDist('gateway/index.js');
  const { createLogger } = await fromDist('observability/index.js');
  const policiesDir = mkdtempSync(join(tmpdir(), 'portcullis-bench-policies-'));
  // options.redis: the Redis session store at this URL, under a key prefix of this process's own.
  const keyPrefix = `portcullis-bench-${process.pid}:`;
  const sessions = options.redis === undefined ? '' : `sessions: { store: redis, redis: { url: "${options.redis}", keyPrefix: "${keyPrefix}" } }`;
  const yaml = `
listen: "127.0.0.1:0"
metricsListen: ""
secret: "\${PORTCULLIS_SECRET}"
policiesDir: "${policiesDir}"
log: { level: ${options.logLevel ?? 'info'}, format: json }
${sessions}
identity:
  issuer: "${options.issuer}"
  clientId: portcullis
  clientSecret: portcullis-dev-secret
applications:
  - name: app
    externalHost: "http://app.test"
    internalHost: "${options.upstream}"
  - name: fwd
    externalHost: "http://fwd.test"
    mode: forward_single
`;
  const config = parseConfig(yaml, {
    source: 'bench.yaml',
    env: { PORTCULLIS_SECRET: 'bench-secret-that-is-at-least-32-bytes-long!' },
    baseDir: ROOT,
  });
  const logger = createLogger({ config: config.log });
  const gateway = await createGateway({ config, logger });
  const urls = await gateway.listen();
  const deadline = Date.now() + 10_000;
  while (!gateway.idps.isReady()) {
    if (Date.now() > deadline) throw new Error('the gateway did not finish IdP discovery in 10 s');
    await new Promise((done) => setTimeout(done, 20));
  }
  closeServer = async () => {
    await gateway.close();
    rmSync(policiesDir, { recursive: true, force: true });
    if (options.redis !== undefined) await deleteKeys(options.redis, keyPrefix);
  };
  return { url: urls.gateway.replace('localhost', '127.0.0.1') };
}


const roles = { upstream: startUpstream, idp: startIdp, 'bare-proxy': startBareProxy, 'bare-route': startBareRoute, portcullis: startPortcullis };

try {
  if (roles[role] === undefined) throw new Error(`unknown role ${role}; one of ${Object.keys(roles).join(', ')}`);
  const ready = await roles[role]();
  process.send({ ready: { ...ready, pid: process.pid } });
} catch (error) {
  process.send({ failed: error instanceof Error ? error.stack : String(error) });
  process.exit(1);
}
