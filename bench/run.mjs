/**
 * `npm run bench`: Portcullis side by side with a bare Fastify proxy and nginx, in one run,
 * on one echo upstream. See bench/README.md for what each row is and for the options.
 *
 * Every server runs in its own child process (bench/server.mjs), nginx in its own, and
 * autocannon in this one, so no server shares an event loop with the load generator.
 */

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { request } from 'undici';
import { formatSummary, summarize } from './profile-summary.mjs';
import { deleteKeys, redisAnswers } from './redis.mjs';
import { pairCores, pin } from './cores.mjs';
import { spawnServer as spawnBenchServer, stopServer } from './servers.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const HERE = fileURLToPath(new URL('.', import.meta.url));
const NGINX = '/usr/sbin/nginx';
const NGINX_SNIPPET = join(ROOT, 'test/forward/fixtures/nginx.conf');
const NGINX_UPSTREAMS = join(ROOT, 'test/forward/fixtures/nginx-upstreams.conf');
const RESULTS = join(HERE, 'RESULTS.md');
const BEGIN = '<!-- bench:begin (written by `npm run bench -- --write`; edit outside these markers) -->';
const END = '<!-- bench:end -->';

const { values: opts } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    connections: { type: 'string', default: '50' },
    pipelining: { type: 'string', default: '1' },
    rate: { type: 'string' },
    rounds: { type: 'string', default: '3' },
    'paired-rounds': { type: 'string', default: '3' },
    'warm-all': { type: 'string', default: '2' },
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    write: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    'profile-dir': { type: 'string', default: join(HERE, 'profiles') },
    'idp-requests': { type: 'string', default: '10000' },
    'skip-idp': { type: 'boolean', default: false },
    'skip-memory': { type: 'boolean', default: false },
    dist: { type: 'string', default: join(ROOT, 'dist') },
    'dist-b': { type: 'string' },
    'log-level': { type: 'string', default: 'info' },
    'log-level-b': { type: 'string' },
    redis: { type: 'string', default: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
    workers: { type: 'string', default: '2' },
    'gateway-node-flags': { type: 'string', default: '--max-semi-space-size=64 --no-allocation-site-pretenuring' },
    help: { type: 'boolean', default: false },
  },
});
if (opts.help) {
  process.stdout.write(readFileSync(join(HERE, 'README.md'), 'utf8'));
  process.exit(0);
}
const DURATION = opts.quick ? 1 : Number(opts.duration);
const WARMUP = opts.quick ? 0.5 : Number(opts.warmup);
const CONNECTIONS = Number(opts.connections);
const PIPELINING = Number(opts.pipelining);
/** A fixed request rate (all connections together) instead of as fast as possible: for A/B runs on CPU per request. */
const RATE = opts.rate === undefined ? undefined : Number(opts.rate);
const ROUNDS = opts.quick ? 1 : Number(opts.rounds);
const WARM_ALL = opts.quick ? 0.5 : Number(opts['warm-all']);
const ONLY = opts.only === undefined ? null : new Set(opts.only.split(',').map((s) => s.trim()));

/**
 * Node flags of every Node server of the bench, so the floors run as the gateway does: those
 * the Docker image starts the gateway with (a 64 MiB young generation, no allocation-site
 * pretenuring: docs/operations.md);
 * `--gateway-node-flags ''` measures Node's defaults.
 */
const GATEWAY_NODE_FLAGS = opts['gateway-node-flags'].split(' ').filter((flag) => flag !== '');

/** Targets of the memory table and of row 4's profile (bench/README.md). */
const SESSIONS_TARGET_MIB = 150;
const CREDENTIALS_TARGET_MIB = 15;
const GC_TARGET_PCT = 5;

const ALICE_CLI = { username: 'alice', password: 'alice-app-password' };
const ALICE_CI = { username: 'alice', password: 'alice-ci-password' };
const BOB = { username: 'bob', password: 'bob-app-password' };
const basic = ({ username, password }) => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

// ---------------------------------------------------------------------------------------------
// Child processes

const children = [];
/** nginx, once started, so that a failure stops it too. */
let nginxRunning = null;

/** A server.mjs process (servers.mjs), with the bench's Node flags, killed when the bench ends. */
function spawnServer(role, options = {}, execArgv = GATEWAY_NODE_FLAGS) {
  const server = spawnBenchServer(role, options, { execArgv });
  children.push(server.child);
  return server;
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

function accepts(port) {
  return new Promise((done) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

// ---------------------------------------------------------------------------------------------
// CPU time of the processes under test, from /proc (Linux): throughput on a shared 2-core
// machine moves with whatever else runs, CPU time per request much less.

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;
const HAVE_PROC = existsSync('/proc/self/stat');

function statFields(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name; index 0 is field 3 (state).
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** User + system CPU seconds of these processes (all their threads). */
function cpuSeconds(pids) {
  let ticks = 0;
  for (const pid of pids) {
    const fields = statFields(pid);
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / CLK_TCK;
}

function childPids(parentPid) {
  const pids = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (Number(statFields(entry)[1]) === parentPid) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

// ---------------------------------------------------------------------------------------------
// nginx

function nginxVersion() {
  const out = spawnSync(NGINX, ['-v'], { encoding: 'utf8' });
  return (out.stderr || out.stdout || '').trim().replace(/^nginx version: /, '');
}

async function startNginx({ upstreamPort, portcullisPort }) {
  const dir = mkdtempSync(join(os.tmpdir(), 'portcullis-bench-nginx-'));
  const ports = { bare: await freePort(), snippet: await freePort() };
  const addresses = (text) => text.split('127.0.0.1:9000').join(`127.0.0.1:${portcullisPort}`).split('127.0.0.1:3000').join(`127.0.0.1:${upstreamPort}`);
  const indent = (text, prefix = '        ') => text.split('\n').map((line) => (line === '' ? line : `${prefix}${line}`)).join('\n');
  const conf = `worker_processes 1;
error_log ${dir}/error.log warn;
pid ${dir}/nginx.pid;
events { worker_connections 1024; }
http {
    access_log off;
    # Clients (autocannon) keep their connections, as they do with the Node servers.
    keepalive_requests 1000000;
    client_body_temp_path ${dir}/body;
    proxy_temp_path ${dir}/proxy;
    fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi;
    scgi_temp_path ${dir}/scgi;
    upstream bench_app { server 127.0.0.1:${upstreamPort}; keepalive 64; keepalive_requests 1000000; }
    # 3. plain proxy_pass, with upstream keep-alive (as Fastify's undici pool has).
    server {
        listen 127.0.0.1:${ports.bare};
        location / {
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass http://bench_app;
        }
    }
    # 9. auth_request + Portcullis: test/forward/fixtures/nginx-upstreams.conf and nginx.conf
    # as the README prints them.
${indent(addresses(readFileSync(NGINX_UPSTREAMS, 'utf8')), '    ')}
    server {
        listen 127.0.0.1:${ports.snippet};
        server_name _;
${indent(addresses(readFileSync(NGINX_SNIPPET, 'utf8')))}
    }
}
`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const child = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const deadline = Date.now() + 10_000;
  while (!(await accepts(ports.bare)) || !(await accepts(ports.snippet))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`nginx did not start: ${stderr}${existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : ''}`);
    }
    await new Promise((done) => setTimeout(done, 50));
  }
  return {
    /** The worker processes' ids (nginx forks them after it listens). */
    workers: () => (HAVE_PROC ? childPids(child.pid) : []),
    urls: {
      bare: `http://127.0.0.1:${ports.bare}`,
      snippet: `http://127.0.0.1:${ports.snippet}`,
    },
    async close() {
      if (child.exitCode === null) {
        const exited = new Promise((done) => child.once('exit', done));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Load

/**
 * One autocannon run. Latencies are recorded from autocannon's per-response event at
 * microsecond resolution (its own histogram keeps whole milliseconds).
 */
function load({ url, headers = {}, duration, amount, connections = CONNECTIONS, cpuPids = [], rate = RATE }) {
  const measureCpu = HAVE_PROC && cpuPids.length > 0;
  return new Promise((resolveLoad, reject) => {
    const cpuBefore = measureCpu ? cpuSeconds(cpuPids) : 0;
    let latencies = new Float64Array(1 << 16);
    let count = 0;
    const statuses = {};
    const instance = autocannon(
      {
        url,
        headers,
        connections,
        pipelining: PIPELINING,
        ...(amount === undefined ? { duration } : { amount }),
        ...(rate === undefined || amount !== undefined ? {} : { overallRate: rate }),
        timeout: 10,
      },
      (error, result) => {
        if (error) {
          reject(error);
          return;
        }
        const cpu = measureCpu ? cpuSeconds(cpuPids) - cpuBefore : NaN;
        const sorted = latencies.subarray(0, count).sort();
        const at = (q) => (count === 0 ? NaN : sorted[Math.min(count - 1, Math.floor(q * count))]);
        const non2xx = Object.entries(statuses).reduce((n, [code, c]) => (code.startsWith('2') ? n : n + c), 0);
        resolveLoad({
          rps: result.requests.total / result.duration,
          total: result.requests.total,
          seconds: result.duration,
          p50: at(0.5),
          p99: at(0.99),
          non2xx,
          cpuUsPerRequest: (cpu * 1e6) / result.requests.total,
          cpuUtilization: cpu / result.duration,
          errors: result.errors,
          timeouts: result.timeouts,
          statuses,
        });
      },
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
      if (count === latencies.length) {
        const bigger = new Float64Array(latencies.length * 2);
        bigger.set(latencies);
        latencies = bigger;
      }
      latencies[count++] = responseTime;
    });
  });
}

/**
 * `portcullis run` as a user starts it, with `workers` processes and the Redis session store:
 * the same applications as bench/server.mjs's gateway, on ports chosen here (the primary serves
 * `/readyz` once every worker is ready). Its stdout, the access log, goes to /dev/null.
 */
async function startWorkersGateway({ upstream, issuer, redis, workers }) {
  const dir = mkdtempSync(join(os.tmpdir(), 'portcullis-bench-workers-'));
  mkdirSync(join(dir, 'policies'));
  const [port, health] = [await freePort(), await freePort()];
  const keyPrefix = `portcullis-bench-workers-${process.pid}:`;
  const file = join(dir, 'portcullis.yaml');
  writeFileSync(
    file,
    `workers: ${workers}
listen: "127.0.0.1:${port}"
metricsListen: "127.0.0.1:${health}"
secret: "\${PORTCULLIS_SECRET}"
policiesDir: "${join(dir, 'policies')}"
log: { level: ${opts['log-level']}, format: json }
sessions: { store: redis, redis: { url: "${redis}", keyPrefix: "${keyPrefix}" } }
identity:
  issuer: "${issuer}"
  clientId: portcullis
  clientSecret: portcullis-dev-secret
applications:
  - name: app
    externalHost: "http://app.test"
    internalHost: "${upstream}"
  - name: fwd
    externalHost: "http://fwd.test"
    mode: forward_single
`,
  );
  const child = spawn(process.execPath, [...GATEWAY_NODE_FLAGS, join(opts.dist, 'cli.js'), 'run', '--config', file], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, PORTCULLIS_SECRET: 'bench-secret-that-is-at-least-32-bytes-long!' },
  });
  children.push(child);
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the workers gateway exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error('the workers gateway was not ready in 30 s');
    const ready = await request(`http://127.0.0.1:${health}/readyz`).then((res) => res.body.text().then(() => res.statusCode === 200), () => false);
    if (ready) break;
    await new Promise((done) => setTimeout(done, 100));
  }
  const pids = [child.pid, ...childPids(child.pid)];
  if (pids.length !== workers + 1) throw new Error(`expected ${workers} workers under the primary, found ${pids.length - 1}`);
  return {
    info: { url: `http://127.0.0.1:${port}` },
    pids,
    async close() {
      if (child.exitCode === null) {
        const exited = new Promise((done) => child.once('exit', done));
        child.kill('SIGTERM');
        await exited;
      }
      await deleteKeys(redis, keyPrefix);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}



async function get(url, headers = {}) {
  const res = await request(url, { headers });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text };
}

function firstCookie(setCookie) {
  const line = Array.isArray(setCookie) ? setCookie[0] : setCookie;
  if (typeof line !== 'string') throw new Error('no Set-Cookie in the answer');
  return line.split(';')[0];
}

// ---------------------------------------------------------------------------------------------
// Checks: a row is measured only after one request of it was answered as intended, so a
// fast row of 401s cannot pass for a fast Portcullis.

function expectEcho(user, { noAuthorization = true } = {}) {
  return (answer) => {
    if (answer.status !== 200) return `status ${answer.status}`;
    const echo = JSON.parse(answer.text);
    if (user !== null && echo.headers['x-authentik-username'] !== user) return `upstream saw x-authentik-username=${echo.headers['x-authentik-username']}`;
    if (noAuthorization && echo.headers.authorization !== undefined) return 'the credential reached the upstream';
    return null;
  };
}

function expectDecision(user) {
  return (answer) => {
    if (answer.status !== 200) return `status ${answer.status}`;
    if (user !== null && answer.headers['x-authentik-username'] !== user) return `x-authentik-username=${answer.headers['x-authentik-username']}`;
    return null;
  };
}

// ---------------------------------------------------------------------------------------------
// Formatting

const fmt = {
  int: (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–'),
  ms: (n) => (Number.isFinite(n) ? n.toFixed(2) : '–'),
  x: (n) => (Number.isFinite(n) ? `${n.toFixed(2)}×` : '–'),
};

function median(values) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function machine() {
  const cpus = os.cpus();
  const models = [...new Set(cpus.map((c) => c.model.trim()))].join(', ');
  return {
    cpus: `${cpus.length} × ${models}${cpus[0]?.speed ? ` (${cpus[0].speed} MHz)` : ''}`,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB total, ${(os.freemem() / 2 ** 30).toFixed(1)} GiB free at start`,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    nginx: existsSync(NGINX) ? nginxVersion() : 'not installed',
    autocannon: JSON.parse(readFileSync(join(ROOT, 'node_modules/autocannon/package.json'), 'utf8')).version,
    date: new Date().toISOString(),
    loadavg: os.loadavg().map((n) => n.toFixed(2)).join(' '),
  };
}

function markdownTable(header, rows, align) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(align), ...rows.map(line)].join('\n');
}

function textTable(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => (i <= 1 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const info = machine();
  const notes = [];
  process.stdout.write(`Portcullis bench: ${info.cpus}; Node ${info.node}; load average ${info.loadavg}\n`);
  process.stdout.write(`rows: ${WARMUP} s warm-up + ${DURATION} s, ${CONNECTIONS} connections, pipelining ${PIPELINING}, ${ROUNDS} round(s)${RATE === undefined ? '' : `, fixed rate ${RATE} req/s`}\n\n`);

  const upstream = spawnServer('upstream', { dist: opts.dist });
  const idp = spawnServer('idp', { dist: opts.dist });
  const [up, idpInfo] = await Promise.all([upstream.ready, idp.ready]);
  const bareProxy = spawnServer('bare-proxy', { upstream: up.url });
  const bareRoute = spawnServer('bare-route');
  const gateways = [{ label: '', server: spawnServer('portcullis', { dist: opts.dist, upstream: up.url, issuer: idpInfo.issuer, logLevel: opts['log-level'] }, GATEWAY_NODE_FLAGS) }];
  if (opts['dist-b'] !== undefined || opts['log-level-b'] !== undefined) {
    opts['dist-b'] ??= opts.dist;
    gateways.push({ label: ' [B]', server: spawnServer('portcullis', { dist: opts['dist-b'], upstream: up.url, issuer: idpInfo.issuer, logLevel: opts['log-level-b'] ?? opts['log-level'] }, GATEWAY_NODE_FLAGS) });
    notes.push(`Rows marked [B] run the gateway built in ${resolve(opts['dist-b'])}${opts['log-level-b'] === undefined ? '' : ` with log level ${opts['log-level-b']}`}.`);
  }
  // The same gateway on the Redis session store (row 4r), when Redis answers.
  let redisGateway = null;
  if (await redisAnswers(opts.redis)) {
    redisGateway = { label: ' (Redis store)', server: spawnServer('portcullis', { dist: opts.dist, upstream: up.url, issuer: idpInfo.issuer, logLevel: opts['log-level'], redis: opts.redis }, GATEWAY_NODE_FLAGS) };
  } else {
    notes.push(`Row 4r skipped: no Redis answered at ${opts.redis} (set REDIS_URL or --redis).`);
  }
  const [proxyInfo, routeInfo] = await Promise.all([bareProxy.ready, bareRoute.ready]);
  for (const gw of gateways) gw.info = await gw.server.ready;
  if (redisGateway !== null) redisGateway.info = await redisGateway.server.ready;
  // `portcullis run` with `workers: N` (row 4w): a cluster primary and N workers, Redis sessions.
  const workersGateway = redisGateway === null ? null : await startWorkersGateway({ upstream: up.url, issuer: idpInfo.issuer, redis: opts.redis, workers: Number(opts.workers) });
  if (workersGateway === null) notes.push('Row 4w skipped: it needs Redis, like row 4r.');

  let nginx = null;
  if (existsSync(NGINX)) {
    nginx = nginxRunning = await startNginx({ upstreamPort: Number(new URL(up.url).port), portcullisPort: Number(new URL(gateways[0].info.url).port) });
  } else {
    notes.push(`nginx rows (3, 9) skipped: ${NGINX} is not installed (Debian: apt-get install nginx-light).`);
  }

  // Credentials: a token for Bearer, a fresh app password for Basic, session cookies made
  // by a Basic login of another user (so the counted credentials below are new to the gateway).
  const tokenEndpoint = (await (await fetch(`${idpInfo.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`)).json()).token_endpoint;
  const tokenResponse = await fetch(tokenEndpoint, {
    method: 'POST',
    headers: { authorization: basic({ username: 'portcullis', password: 'portcullis-dev-secret' }) },
    body: new URLSearchParams({ grant_type: 'client_credentials', username: ALICE_CLI.username, password: ALICE_CLI.password, scope: 'openid profile email ak_proxy' }),
  });
  if (tokenResponse.status !== 200) throw new Error(`the IdP's token endpoint answered ${tokenResponse.status}: ${await tokenResponse.text()}`);
  const accessToken = (await tokenResponse.json()).access_token;

  const nginxHeaders = (cookie) => ({
    host: 'fwd.test',
    'x-forwarded-host': 'fwd.test',
    'x-forwarded-proto': 'http',
    'x-forwarded-for': '127.0.0.1',
    'x-original-url': 'http://fwd.test/private',
    'x-original-uri': '/private',
    'x-original-method': 'GET',
    cookie,
  });
  for (const gw of [...gateways, ...(redisGateway === null ? [] : [redisGateway]), ...(workersGateway === null ? [] : [workersGateway])]) {
    const proxied = await get(`${gw.info.url}/private`, { host: 'app.test', authorization: basic(BOB) });
    if (proxied.status !== 200) throw new Error(`Basic login for the session cookie answered ${proxied.status}: ${proxied.text}`);
    gw.appCookie = firstCookie(proxied.headers['set-cookie']);
    const decided = await get(`${gw.info.url}/outpost.goauthentik.io/auth/nginx`, { ...nginxHeaders(undefined), authorization: basic(BOB) });
    if (decided.status !== 200) throw new Error(`Basic login on the nginx decision endpoint answered ${decided.status}: ${decided.text}`);
    gw.fwdCookie = firstCookie(decided.headers['set-cookie']);
  }

  // Diagnostic servers: the bare proxy sending the upstream the headers Portcullis adds, and
  // the bare route answering the headers the decision endpoint answers, both static. They
  // separate the cost of the bytes the contract puts on the wire from the cost of the logic.
  const seen = JSON.parse((await get(`${gateways[0].info.url}/private`, { host: 'app.test', cookie: gateways[0].appCookie })).text).headers;
  const added = Object.fromEntries(Object.entries(seen).filter(([name]) => name.startsWith('x-authentik-') || name.startsWith('x-forwarded-') || name === 'x-real-ip'));
  const decision = (await get(`${gateways[0].info.url}/outpost.goauthentik.io/auth/nginx`, nginxHeaders(gateways[0].fwdCookie))).headers;
  const answered = Object.fromEntries(Object.entries(decision).filter(([name]) => !['content-length', 'date', 'connection', 'keep-alive'].includes(name)));
  const bareProxyH = spawnServer('bare-proxy', { upstream: up.url, addHeaders: added });
  const bareRouteH = spawnServer('bare-route', { headers: answered });
  const [proxyHInfo, routeHInfo] = await Promise.all([bareProxyH.ready, bareRouteH.ready]);
  const headerBytes = (headers) => Object.entries(headers).reduce((n, [k, v]) => n + k.length + String(v).length + 4, 0);
  notes.push(
    `Rows 2h and 8h are diagnostics, not targets: row 2 with the ${Object.keys(added).length} headers Portcullis adds to the upstream request (${headerBytes(added)} bytes, static), ` +
      `and row 8 answering the ${Object.keys(answered).length} headers of row 7's answer (${headerBytes(answered)} bytes, static).`,
  );

  // IdP calls per 10,000 requests, one credential each, new to the gateway, at full concurrency
  // (the first 50 requests arrive together and must share one check).
  const idpRows = [];
  if (!opts['skip-idp']) {
    const amount = Number(opts['idp-requests']);
    const gw = gateways[0];
    const cases = [
      { label: 'Basic app password (new to the gateway)', headers: { host: 'app.test', authorization: basic(ALICE_CI) } },
      { label: 'Bearer JWT (new to the gateway)', headers: { host: 'app.test', authorization: `Bearer ${accessToken}` } },
      { label: 'session cookie', headers: { host: 'app.test', cookie: gw.appCookie } },
    ];
    for (const c of cases) {
      await idp.call('reset-calls');
      const r = await load({ url: `${gw.info.url}/private`, headers: c.headers, amount });
      const calls = await idp.call('calls');
      idpRows.push({ ...c, requests: r.total, non2xx: r.non2xx, errors: r.errors, calls });
      process.stdout.write(`IdP calls, ${c.label}: ${calls.total} in ${r.total} requests (token ${calls.token}, jwks ${calls.jwks}, introspection ${calls.introspection})\n`);
    }
    process.stdout.write('\n');
  }

  // The rows. Reference rows: 2 for every proxying row, 8 for the decision endpoint. `cpu`:
  // the processes whose CPU time a row costs (the echo upstream and autocannon excluded,
  // except in row 1, where the upstream is the server under test).
  const pid = (server) => server.child.pid;
  const nginxWorkers = nginx === null ? [] : nginx.workers();
  const rows = [
    { id: '1', name: 'direct upstream (echo server)', url: `${up.url}/private`, headers: {}, check: expectEcho(null), cpu: [pid(upstream)] },
    { id: '2', name: 'bare Fastify + @fastify/http-proxy', url: `${proxyInfo.url}/private`, headers: {}, check: expectEcho(null), cpu: [pid(bareProxy)] },
    { id: '2h', name: "… + Portcullis's upstream headers, static", url: `${proxyHInfo.url}/private`, headers: {}, check: expectEcho(null), cpu: [pid(bareProxyH)] },
    ...(nginx === null ? [] : [{ id: '3', name: 'nginx proxy_pass', url: `${nginx.urls.bare}/private`, headers: {}, check: expectEcho(null), cpu: nginxWorkers }]),
  ];
  for (const gw of gateways) {
    const suffix = gw.label === '' ? '' : 'b';
    const cpu = [pid(gw.server)];
    rows.push(
      { id: `4${suffix}`, name: `Portcullis, session cookie${gw.label}`, url: `${gw.info.url}/private`, headers: { host: 'app.test', cookie: gw.appCookie }, check: expectEcho('bob'), target: { ref: '2h', max: 1.3 }, cpu },
      { id: `5${suffix}`, name: `Portcullis, Bearer JWT${gw.label}`, url: `${gw.info.url}/private`, headers: { host: 'app.test', authorization: `Bearer ${accessToken}` }, check: expectEcho('alice'), target: { ref: '2h', max: 1.3 }, cpu },
      { id: `6${suffix}`, name: `Portcullis, Basic app password${gw.label}`, url: `${gw.info.url}/private`, headers: { host: 'app.test', authorization: basic(ALICE_CI) }, check: expectEcho('alice'), target: { ref: '2h', max: 1.3 }, cpu },
      { id: `7${suffix}`, name: `nginx decision endpoint (auth/nginx), session${gw.label}`, url: `${gw.info.url}/outpost.goauthentik.io/auth/nginx`, headers: nginxHeaders(gw.fwdCookie), check: expectDecision('bob'), target: { ref: '8h', max: 1.8 }, cpu },
    );
  }
  if (redisGateway !== null) {
    rows.push({ id: '4r', name: 'Portcullis, session cookie, Redis store', url: `${redisGateway.info.url}/private`, headers: { host: 'app.test', cookie: redisGateway.appCookie }, check: expectEcho('bob'), target: { ref: '4', max: 1.15 }, cpu: [pid(redisGateway.server)] });
  }
  if (workersGateway !== null) {
    // CPU: the primary (it accepts every connection) and every worker. No target: on a 2-core
    // machine the load generator and the upstream share the cores with the workers.
    rows.push({ id: '4w', name: `Portcullis, session cookie, Redis store, workers: ${opts.workers}`, url: `${workersGateway.info.url}/private`, headers: { host: 'app.test', cookie: workersGateway.appCookie }, check: expectEcho('bob'), cpu: workersGateway.pids });
  }
  rows.push({ id: '8', name: 'bare Fastify route (empty 200)', url: `${routeInfo.url}/outpost.goauthentik.io/auth/nginx`, headers: nginxHeaders(gateways[0].fwdCookie), check: (a) => (a.status === 200 ? null : `status ${a.status}`), cpu: [pid(bareRoute)] });
  rows.push({ id: '8h', name: "… + row 7's response headers, static", url: `${routeHInfo.url}/outpost.goauthentik.io/auth/nginx`, headers: nginxHeaders(gateways[0].fwdCookie), check: (a) => (a.status === 200 ? null : `status ${a.status}`), cpu: [pid(bareRouteH)] });
  if (nginx !== null) {
    const cpu = [...nginxWorkers, pid(gateways[0].server)];
    rows.push({ id: '9', name: 'nginx auth_request + Portcullis (README snippet), session', url: `${nginx.urls.snippet}/private`, headers: { host: 'fwd.test', cookie: gateways[0].fwdCookie }, check: expectEcho('bob'), cpu });
  }
  // With a B gateway, each B row runs right after its A row, so the two see the same machine.
  const order = (row) => rows.findIndex((r) => r.id === (row.name.endsWith('[B]') ? row.id.replace(/b$/, '') : row.id)) + (row.name.endsWith('[B]') ? 0.5 : 0);
  const selected = rows
    .filter((row) => ONLY === null || ONLY.has(row.id) || (row.name.endsWith('[B]') && ONLY.has(row.id.replace(/b$/, ''))))
    .sort((a, b) => order(a) - order(b));
  for (const row of selected) {
    const problem = row.check(await get(row.url, row.headers));
    if (problem !== null) throw new Error(`row ${row.id} (${row.name}) is not answered as intended: ${problem}`);
    row.runs = [];
  }

  // JIT and connection pools: every server is hot before anything is measured.
  if (WARM_ALL > 0) {
    process.stdout.write(`warming every row for ${WARM_ALL} s…\n`);
    for (const row of selected) await load({ url: row.url, headers: row.headers, duration: WARM_ALL });
  }
  for (let round = 1; round <= ROUNDS; round += 1) {
    for (const row of selected) {
      if (WARMUP > 0) await load({ url: row.url, headers: row.headers, duration: WARMUP });
      const r = await load({ url: row.url, headers: row.headers, duration: DURATION, cpuPids: row.cpu });
      row.runs.push(r);
      process.stdout.write(
        `${ROUNDS > 1 ? `[${round}/${ROUNDS}] ` : ''}${row.id.padEnd(3)} ${row.name.padEnd(58)} ${fmt.int(r.rps).padStart(7)} req/s  p50 ${fmt.ms(r.p50)} ms  p99 ${fmt.ms(r.p99)} ms  ${fmt.int(r.cpuUsPerRequest)} µs CPU/req (${Math.round(100 * r.cpuUtilization)} %)${r.non2xx + r.errors > 0 ? `  (${r.non2xx} non-2xx, ${r.errors} errors)` : ''}\n`,
      );
    }
  }

  for (const row of selected) {
    row.rps = median(row.runs.map((r) => r.rps));
    row.p50 = median(row.runs.map((r) => r.p50));
    row.p99 = median(row.runs.map((r) => r.p99));
    row.cpuPerRequest = median(row.runs.map((r) => r.cpuUsPerRequest));
    row.cpuUtilization = median(row.runs.map((r) => r.cpuUtilization));
    row.bad = row.runs.reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0);
    row.spread = row.runs.length > 1 ? `${fmt.int(Math.min(...row.runs.map((r) => r.rps)))}–${fmt.int(Math.max(...row.runs.map((r) => r.rps)))}` : '';
  }
  const byId = new Map(selected.map((row) => [row.id, row]));
  /**
   * A row's throughput ratio to a reference row: the median of the per-round ratios (the two
   * were measured a few seconds apart, under the same load from whatever else ran), and the
   * CPU-per-request ratio the same way (reference ÷ row, so above 1 is cheaper).
   */
  const ratio = (row, ref) => {
    // cpu: reference ÷ row per round, median (above 1 is cheaper than the reference).
    if (ref === undefined) return { rps: NaN, cpu: NaN };
    const n = Math.min(row.runs.length, ref.runs.length);
    const rounds = Array.from({ length: n }, (_, k) => k);
    return {
      rps: median(rounds.map((k) => row.runs[k].rps / ref.runs[k].rps)),
      cpu: median(rounds.map((k) => ref.runs[k].cpuUsPerRequest / row.runs[k].cpuUsPerRequest)),
    };
  };
  const bare = byId.get('2');
  const header = ['#', 'row', 'req/s', 'p50 ms', 'p99 ms', '× bare proxy', 'CPU µs/req', 'CPU', 'target: CPU µs/req ratio', 'req/s ratio', ...(ROUNDS > 1 ? ['req/s range'] : []), 'non-2xx/err'];
  const verdicts = [];
  const tableRows = selected.map((row) => {
    let target = '';
    let rpsRatio = '';
    if (row.target !== undefined) {
      const ref = byId.get(row.target.ref);
      if (ref !== undefined) {
        const r = ratio(row, ref);
        // CPU per request, row ÷ reference: what the row costs over the floor it is held to.
        const cost = 1 / r.cpu;
        const met = Number.isFinite(cost) && cost <= row.target.max;
        target = `${fmt.x(cost)} row ${row.target.ref} (≤ ${row.target.max}) ${met ? 'met' : 'MISSED'}`;
        rpsRatio = `${fmt.x(r.rps)} row ${row.target.ref}`;
        verdicts.push({ row: row.id, met });
      } else {
        target = `row ${row.target.ref} not run`;
      }
    }
    return [
      row.id,
      row.name,
      fmt.int(row.rps),
      fmt.ms(row.p50),
      fmt.ms(row.p99),
      fmt.x(ratio(row, bare).rps),
      fmt.int(row.cpuPerRequest),
      Number.isFinite(row.cpuUtilization) ? `${Math.round(100 * row.cpuUtilization)} %` : '–',
      target,
      rpsRatio,
      ...(ROUNDS > 1 ? [row.spread] : []),
      String(row.bad),
    ];
  });
  process.stdout.write(`\n${textTable(header, tableRows)}\n\n`);
  const abLines = [];
  for (const row of selected.filter((r) => r.name.endsWith('[B]'))) {
    const a = byId.get(row.id.replace(/b$/, ''));
    if (a === undefined) continue;
    const n = Math.min(a.runs.length, row.runs.length);
    const k = Array.from({ length: n }, (_, i) => i);
    const rps = median(k.map((i) => row.runs[i].rps / a.runs[i].rps));
    const cpu = median(k.map((i) => row.runs[i].cpuUsPerRequest / a.runs[i].cpuUsPerRequest));
    abLines.push(`${row.id} vs ${a.id}: req/s ×${rps.toFixed(3)}, CPU/req ×${cpu.toFixed(3)} (${fmt.int(a.cpuPerRequest)} → ${fmt.int(row.cpuPerRequest)} µs; per-round medians of ${n})`);
  }
  if (abLines.length > 0) process.stdout.write(`A/B (B = ${opts['dist-b']}):\n${abLines.map((l) => `  ${l}`).join('\n')}\n\n`);

  // Paired ratios: each target row and its reference row loaded at the same time, both servers
  // on one core, at the same fixed rate (bench/README.md, "Paired ratios"). Rows run one after
  // the other see the machine at different moments; a pair sees the same moment.
  const paired = [];
  const PAIRED_ROUNDS = opts.quick ? 0 : Number(opts['paired-rounds']);
  const { cores, why: unpaired } = pairCores();
  if (PAIRED_ROUNDS > 0 && cores === null) notes.push(`Paired ratios skipped: ${unpaired}.`);
  if (PAIRED_ROUNDS > 0 && cores !== null) {
    const helpers = [upstream.child.pid, idp.child.pid, process.pid];
    pin(helpers, cores.rest);
    try {
      // A [B] row is paired with its A row (an A/B of two builds), the others with their targets' references.
      const pairsToRun = selected
        .map((row) => ({ row, ref: byId.get(row.name.endsWith('[B]') ? row.id.replace(/b$/, '') : row.target?.ref) }))
        .filter(({ row, ref }) => ref !== undefined && (row.name.endsWith('[B]') || row.target !== undefined));
      for (const { row, ref } of pairsToRun) {
        const bound = row.name.endsWith('[B]') ? null : row.target.max;
        const pids = [...new Set([...row.cpu, ...ref.cpu])];
        pin(pids, cores.pair);
        // A third of the slower row's own throughput each: together about two thirds of the
        // core, so neither server waits for the other.
        const rate = Math.max(100, Math.round(Math.min(row.rps, ref.rps) / 3));
        const connections = Math.max(1, Math.round(CONNECTIONS / 2));
        const together = (first, second, duration) =>
          Promise.all([first, second].map((r) => load({ url: r.url, headers: r.headers, duration, cpuPids: r.cpu, connections, rate })));
        await together(row, ref, Math.max(1, WARMUP));
        const ratios = [];
        const cpu = { row: [], ref: [] };
        let bad = 0;
        for (let round = 0; round < PAIRED_ROUNDS; round += 1) {
          // Both start orders, each ratio the geometric mean of the two: the load generator
          // serves the instance it created first a little sooner.
          const [a1, b1] = await together(row, ref, DURATION);
          const [b2, a2] = await together(ref, row, DURATION);
          for (const r of [a1, b1, a2, b2]) bad += r.non2xx + r.errors + r.timeouts;
          ratios.push(Math.sqrt((a1.cpuUsPerRequest / b1.cpuUsPerRequest) * (a2.cpuUsPerRequest / b2.cpuUsPerRequest)));
          cpu.row.push(Math.sqrt(a1.cpuUsPerRequest * a2.cpuUsPerRequest));
          cpu.ref.push(Math.sqrt(b1.cpuUsPerRequest * b2.cpuUsPerRequest));
        }
        pin(pids, cores.all);
        const cost = median(ratios);
        const pair = { row, ref, rate, cost, low: Math.min(...ratios), high: Math.max(...ratios), rowCpu: median(cpu.row), refCpu: median(cpu.ref), bad, bound, met: bound !== null && cost <= bound };
        paired.push(pair);
        process.stdout.write(
          `paired ${row.id} + ${ref.id} at ${fmt.int(rate)} req/s each: ${fmt.int(pair.rowCpu)} / ${fmt.int(pair.refCpu)} µs CPU/req, ${fmt.x(cost)} (rounds ${ratios.map((r) => r.toFixed(2)).join(', ')})${bad > 0 ? `, ${bad} non-2xx/errors` : ''}\n`,
        );
      }
    } finally {
      pin(helpers, cores.all);
    }
    process.stdout.write('\n');
  }

  // Memory
  let memory = null;
  if (!opts['skip-memory']) {
    const out = spawnSync(process.execPath, ['--expose-gc', join(HERE, 'memory.mjs'), JSON.stringify({ token: accessToken, dist: opts.dist })], { encoding: 'utf8', maxBuffer: 1 << 20 });
    if (out.status !== 0) throw new Error(`memory.mjs failed: ${out.stderr}`);
    memory = JSON.parse(out.stdout.trim().split('\n').pop());
    process.stdout.write(
      `memory: ${memory.sessions.count.toLocaleString('en-US')} sessions in MemorySessionStore: ${(memory.sessions.bytes / 2 ** 20).toFixed(1)} MiB (${fmt.int(memory.sessions.perSession)} B/session); ` +
        `credential cache at its bound (${memory.credentialCache.size.toLocaleString('en-US')}): ${(memory.credentialCache.bytes / 2 ** 20).toFixed(1)} MiB (${fmt.int(memory.credentialCache.perEntry)} B/entry)\n`,
    );
  }
  const gatewayMemory = await gateways[0].server.call('memory');

  // Profiles
  const profiles = [];
  if (opts.profile) {
    mkdirSync(opts['profile-dir'], { recursive: true });
    const targets = [
      { name: 'bare-proxy-headers', title: "bare Fastify proxy with Portcullis's headers (row 2h)", server: bareProxyH, row: rows.find((r) => r.id === '2h') },
      { name: 'portcullis-session', title: 'Portcullis, session cookie (row 4)', server: gateways[0].server, row: rows.find((r) => r.id === '4') },
      { name: 'portcullis-bearer', title: 'Portcullis, Bearer JWT (row 5)', server: gateways[0].server, row: rows.find((r) => r.id === '5') },
      { name: 'portcullis-decision', title: 'Portcullis, nginx decision endpoint (row 7)', server: gateways[0].server, row: rows.find((r) => r.id === '7') },
      { name: 'bare-route-headers', title: "bare Fastify route with row 7's headers (row 8h)", server: bareRouteH, row: rows.find((r) => r.id === '8h') },
    ];
    for (const t of targets) {
      await load({ url: t.row.url, headers: t.row.headers, duration: WARMUP || 1 });
      await t.server.call('profile-start', { intervalUs: 500 });
      const r = await load({ url: t.row.url, headers: t.row.headers, duration: DURATION });
      const file = join(resolve(opts['profile-dir']), `${t.name}.cpuprofile`);
      await t.server.call('profile-stop', { file });
      const summary = summarize(JSON.parse(readFileSync(file, 'utf8')));
      profiles.push({ ...t, file, rps: r.rps, summary });
      if (t.name === 'portcullis-session') {
        const gc = summary.categories.find((c) => c.name === 'GC')?.pct ?? 0;
        verdicts.push({ row: 'GC of row 4', met: gc <= GC_TARGET_PCT });
        notes.push(`GC is ${gc.toFixed(1)} % of row 4's profile (target ≤ ${GC_TARGET_PCT} %): ${gc <= GC_TARGET_PCT ? 'met' : 'MISSED'}.`);
      }
      process.stdout.write(`\nprofile ${t.title}: ${fmt.int(r.rps)} req/s while profiled → ${file}\n`);
      for (const c of summary.categories.slice(0, 8)) process.stdout.write(`  ${c.name.padEnd(28)} ${c.pct.toFixed(1).padStart(5)} %\n`);
    }
  }

  // Report
  const md = [];
  md.push(`Run of ${info.date}.`, '');
  md.push('| machine | |', '|---|---|');
  md.push(`| CPUs | ${info.cpus} |`, `| memory | ${info.memory} |`, `| OS | ${info.os} |`, `| Node.js | ${info.node} |`, `| nginx | ${info.nginx} |`, `| autocannon | ${info.autocannon} |`);
  md.push(`| load average at start | ${info.loadavg} (shared machine: other work may have been running) |`, '');
  md.push(
    `Each row: ${WARMUP} s warm-up, then ${DURATION} s measured; ${CONNECTIONS} connections, pipelining ${PIPELINING}, loopback only; ` +
      `${ROUNDS} round(s)${ROUNDS > 1 ? ', rows interleaved, medians shown' : ''}${RATE === undefined ? '' : `, fixed rate ${RATE} req/s`}; every row was warmed for ${WARM_ALL} s before the first round. ` +
      'Request: `GET /private` (the echo upstream answers with the request it received, as JSON). ' +
      'Latencies are per response, measured by autocannon in the parent process; every server is its own process. ' +
      `Every Node server runs with the flags ${GATEWAY_NODE_FLAGS.length === 0 ? '(none: Node\'s defaults)' : `\`${GATEWAY_NODE_FLAGS.join(' ')}\` (as the Docker image starts the gateway)`}.`,
    '',
    '- **× bare proxy**: req/s ÷ row 2\'s, per round, median.',
    '- **CPU µs/req**: user + system CPU time of the process(es) under test per request, from /proc: the server alone (not the echo upstream, not autocannon), except row 1 (the upstream) and row 9 (nginx worker + Portcullis). **CPU**: their utilization (100 % = one core).',
    '- **target: CPU µs/req ratio**: the row\'s CPU per request ÷ the reference row\'s (2h for rows 4–6, 8h for row 7, 4 for row 4r), per round, median, against its bound: what Portcullis costs over the floor it is held to, and much less disturbed by other work on the machine than req/s. **req/s ratio**: the same rows\' throughput ratio, for reference.',
    '',
  );
  md.push(
    markdownTable(
      header,
      tableRows.map((r) => r.map((c) => String(c))),
      header.map((_, i) => (i <= 1 || i === 8 || i === 9 ? '---' : '---:')),
    ),
    '',
  );
  for (const note of notes) md.push(`- ${note}`);
  if (notes.length > 0) md.push('');
  if (paired.length > 0) {
    md.push(
      `Paired ratios: each target row and its reference row loaded at the same time, both servers on CPU ${cores.pair} (the load generator, upstream and IdP on CPU ${cores.rest}), ` +
        `each at a third of the slower row's req/s above, ${Math.max(1, Math.round(CONNECTIONS / 2))} connections each; ${PAIRED_ROUNDS} round(s) of ${DURATION} s in each start order, ` +
        'a round\'s ratio the geometric mean of its two orders, the median shown. Both servers see the machine at the same moment, which the rows above, a minute apart, do not.',
      '',
      markdownTable(
        ['row', 'reference', 'req/s each', 'CPU µs/req (row / reference)', 'target: CPU µs/req ratio', 'rounds', 'non-2xx/err'],
        paired.map((p) => [
          `${p.row.id} ${p.row.name}`,
          p.ref.id,
          fmt.int(p.rate),
          `${fmt.int(p.rowCpu)} / ${fmt.int(p.refCpu)}`,
          p.bound === null ? `${fmt.x(p.cost)} row ${p.ref.id} (A/B)` : `${fmt.x(p.cost)} row ${p.ref.id} (≤ ${p.bound}) ${p.met ? 'met' : 'MISSED'}`,
          `${p.low.toFixed(2)}–${p.high.toFixed(2)}`,
          String(p.bad),
        ]),
        ['---', '---', '---:', '---:', '---', '---:', '---:'],
      ),
      '',
    );
  }
  if (idpRows.length > 0) {
    md.push('IdP calls (counted by the development IdP) while one credential, new to the gateway, is sent in 10,000 requests over 50 concurrent connections:', '');
    md.push('| credential | requests | non-2xx | IdP calls | token | jwks | introspection | per 10,000 | target ≤ 1 |', '|---|---:|---:|---:|---:|---:|---:|---:|---|');
    for (const r of idpRows) {
      const per = (r.calls.total * 10_000) / r.requests;
      md.push(`| ${r.label} | ${r.requests} | ${r.non2xx} | ${r.calls.total} | ${r.calls.token} | ${r.calls.jwks} | ${r.calls.introspection} | ${per.toFixed(1)} | ${per <= 1 ? 'met' : 'MISSED'} |`);
    }
    md.push('', 'The key set (jwks) was fetched once before this, when the session cookies were made; a key set serves every credential.', '');
  }
  if (memory !== null) {
    md.push('Memory (V8 heap + external growth between full collections, `node --expose-gc`, records built as the gateway builds them from a token like the dev IdP\'s):', '');
    const mib = (bytes) => bytes / 2 ** 20;
    const within = (bytes, max) => `≤ ${max} MiB ${mib(bytes) <= max ? 'met' : 'MISSED'}`;
    md.push('| structure | entries | total | per entry | target |', '|---|---:|---:|---:|---|');
    md.push(`| MemorySessionStore, one user per session | ${memory.sessions.count.toLocaleString('en-US')} | ${mib(memory.sessions.bytes).toFixed(1)} MiB | ${fmt.int(memory.sessions.perSession)} B | ${within(memory.sessions.bytes, SESSIONS_TARGET_MIB)} |`);
    md.push(`| CredentialCache at its bound (cache.maxCredentials), identity + Set-Cookie | ${memory.credentialCache.size.toLocaleString('en-US')} | ${mib(memory.credentialCache.bytes).toFixed(1)} MiB | ${fmt.int(memory.credentialCache.perEntry)} B | ${within(memory.credentialCache.bytes, CREDENTIALS_TARGET_MIB)} |`);
    md.push('', `Sample token: ${memory.sample.tokenChars} characters, claims ${memory.sample.claimsJsonChars} characters of JSON.`, '');
  }
  md.push(`Gateway process after the run: RSS ${(gatewayMemory.rss / 2 ** 20).toFixed(0)} MiB, heap used ${(gatewayMemory.heapUsed / 2 ** 20).toFixed(0)} MiB.`, '');
  if (profiles.length > 0) {
    md.push('#### CPU profiles', '', `V8 sampling profiler (the one \`node --cpu-prof\` uses; 500 µs interval), started on the warm server process after warm-up, for one ${DURATION} s load. Files: \`bench/profiles/*.cpuprofile\` (open in Chrome DevTools → Performance).`, '');
    for (const p of profiles) md.push(formatSummary(`${p.title}: ${fmt.int(p.rps)} req/s while profiled`, p.summary, { top: 15 }).replace(/^### /, '##### '));
  }
  const generated = md.join('\n');

  if (opts.write) {
    const previous = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '';
    const start = previous.indexOf(BEGIN);
    const stop = previous.indexOf(END);
    const block = `${BEGIN}\n\n${generated}\n${END}`;
    const next =
      start !== -1 && stop > start
        ? `${previous.slice(0, start)}${block}${previous.slice(stop + END.length)}`
        : `# Benchmark results\n\nWritten by \`npm run bench -- --write\` (see bench/README.md).\n\n## Latest run\n\n${block}\n`;
    writeFileSync(RESULTS, next);
    process.stdout.write(`\nwrote ${RESULTS}\n`);
  }

  await nginx?.close();
  await workersGateway?.close();
  await Promise.all([upstream, idp, bareProxy, bareRoute, bareProxyH, bareRouteH, ...gateways.map((g) => g.server), ...(redisGateway === null ? [] : [redisGateway.server])].map(stopServer));
}

try {
  await main();
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await nginxRunning?.close().catch(() => {});
  process.exitCode = 1;
}
