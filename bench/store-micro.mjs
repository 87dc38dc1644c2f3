/**
 * Micro-benchmark of the two reads every request makes: a session read from
 * `MemorySessionStore` (store.get + identityFromSession, as SessionAuthenticator does) and a
 * credential-cache hit (keyOf + get, as HeaderAuthenticator does). Also the pause of a full
 * collection while 100,000 sessions are held, and how many scavenges (young-generation
 * collections) each read pattern causes: the garbage it leaves.
 *
 *   node --expose-gc bench/store-micro.mjs '{"token": "<a real access token>", "dist": "dist"}'
 *
 * Records are built like bench/memory.mjs builds them. Patterns: one session (or credential)
 * read over and over; 1,000 read round-robin (a busy working set); every one read round-robin
 * (each read touches a session not read for a long time); 200 credentials round-robin too.
 * Prints a table (ns per read). On a shared machine, run the builds to compare back to back.
 */

import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BENCH_SECRET, benchIdentities } from './identities.mjs';

if (typeof globalThis.gc !== 'function') {
  throw new Error('run with node --expose-gc');
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const options = JSON.parse(process.argv[2] ?? '{}');
const dist = resolve(options.dist ?? join(ROOT, 'dist'));
const fromDist = (path) => import(pathToFileURL(join(dist, path)).href);

const { MemorySessionStore } = await fromDist('sessions/index.js');
const { CredentialCache, sessionFromIdentity, identityFromSession } = await fromDist('auth/index.js');
const SESSIONS = options.sessions ?? 100_000;
const READS = options.reads ?? 1_000_000;
const { identityNumber, maxCredentials } = await benchIdentities({ dist, token: options.token, root: ROOT });

let scavenges = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if (entry.detail?.kind === 1) scavenges += 1;
}).observe({ entryTypes: ['gc'] });
const flushGcEntries = () => new Promise((done) => setImmediate(done));

/** ns per call of `read(i)` over `count` calls, and scavenges per 100,000 calls. */
async function time(count, read) {
  for (let i = 0; i < Math.min(count, 50_000); i += 1) await read(i); // warm up
  globalThis.gc();
  await flushGcEntries();
  scavenges = 0;
  const start = performance.now();
  for (let i = 0; i < count; i += 1) await read(i);
  const ms = performance.now() - start;
  await flushGcEntries();
  return { ns: (ms * 1e6) / count, scavengesPer100k: (scavenges * 100_000) / count };
}

const rows = [];

// Sessions ------------------------------------------------------------------------------------
const store = new MemorySessionStore({ lifetimeMs: 24 * 3_600_000, maxSessions: SESSIONS, sweepIntervalMs: 0 });
const ids = [];
const now = Date.now();
for (let i = 0; i < SESSIONS; i += 1) {
  ids.push((await store.create(sessionFromIdentity('app', identityNumber(i, 'basic'), 24 * 3_600_000, now))).id);
}
const readSession = async (id) => {
  const record = await store.get(id, 'app');
  if (record === null) throw new Error('session missing');
  return identityFromSession(record).username;
};
rows.push(['session read, one session', await time(READS, () => readSession(ids[0]))]);
rows.push(['session read, 1,000 round-robin', await time(READS, (i) => readSession(ids[i % 1000]))]);
rows.push([`session read, ${SESSIONS.toLocaleString('en-US')} round-robin`, await time(Math.max(READS / 5, SESSIONS), (i) => readSession(ids[(i * 7919) % SESSIONS]))]);

const pauses = [];
for (let i = 0; i < 5; i += 1) {
  const start = performance.now();
  globalThis.gc();
  pauses.push(performance.now() - start);
}
pauses.sort((a, b) => a - b);
const gcPauseMs = pauses[2];
await store.close();

// Credential cache ----------------------------------------------------------------------------
const cache = new CredentialCache({ secret: BENCH_SECRET, ttlMs: 300_000, maxEntries: maxCredentials });
const credentials = [];
for (let i = 0; i < maxCredentials; i += 1) {
  const identity = identityNumber(SESSIONS + i, 'bearer');
  const credential = `bearer\u0000${identity.token}`;
  const setCookie = `authentik_proxy_74e19dcd=${randomBytes(32).toString('base64url')}.${randomBytes(32).toString('base64url')}; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax`;
  cache.set(cache.keyOf('app', credential), { identity, setCookie });
  credentials.push(credential);
}
const hit = (credential) => {
  const found = cache.get(cache.keyOf('app', credential));
  if (found === undefined) throw new Error('credential missing');
  return found.identity.username;
};
rows.push(['credential-cache hit, one credential', await time(READS, () => hit(credentials[0]))]);
rows.push(['credential-cache hit, 200 round-robin', await time(READS, (i) => hit(credentials[i % 200]))]);
rows.push(['credential-cache hit, 1,000 round-robin', await time(READS, (i) => hit(credentials[i % 1000]))]);
rows.push([`credential-cache hit, ${maxCredentials.toLocaleString('en-US')} round-robin`, await time(READS / 5, (i) => hit(credentials[(i * 7919) % maxCredentials]))]);

const width = Math.max(...rows.map(([name]) => name.length));
process.stdout.write(`${'read'.padEnd(width)}  ns/read  scavenges/100k reads\n`);
for (const [name, { ns, scavengesPer100k }] of rows) {
  process.stdout.write(`${name.padEnd(width)}  ${ns.toFixed(0).padStart(7)}  ${scavengesPer100k.toFixed(1).padStart(20)}\n`);
}
process.stdout.write(`full collection with ${SESSIONS.toLocaleString('en-US')} sessions held: ${gcPauseMs.toFixed(1)} ms (median of 5)\n`);
