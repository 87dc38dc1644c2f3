/**
 * Memory of the two per-user structures Portcullis keeps in its process:
 *  - the memory session store (src/sessions MemorySessionStore) holding 100,000 sessions, and
 *  - the credential cache (src/auth/credential-cache.ts) at its bound (cache.maxCredentials,
 *    10,000 by default), filled with twice as many credentials so the bound is what is measured.
 *
 *   node --expose-gc bench/memory.mjs '{"token": "<a real access token>", "dist": "dist"}'
 *
 * Each record is built the way the gateway builds it, from a token shaped like the real one
 * (same header, claims and signature length; `sub`, `preferred_username`, `email` and `jti`
 * made unique, so no two sessions share a user or a string). The number reported is the
 * growth of the V8 heap (plus external memory) between two full collections. Prints JSON.
 */

import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
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
const { CredentialCache, sessionFromIdentity } = await fromDist('auth/index.js');
const SESSIONS = options.sessions ?? 100_000;
const { identityNumber, maxCredentials } = await benchIdentities({ dist, token: options.token, root: ROOT });

function settle() {
  for (let i = 0; i < 4; i += 1) globalThis.gc();
}

function used() {
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
}

async function measure(build) {
  settle();
  const before = used();
  const keep = await build();
  settle();
  const after = used();
  return { keep, bytes: after - before };
}

const sessions = await measure(async () => {
  const store = new MemorySessionStore({ lifetimeMs: 24 * 3_600_000, maxSessions: SESSIONS, sweepIntervalMs: 0 });
  const now = Date.now();
  for (let i = 0; i < SESSIONS; i += 1) {
    await store.create(sessionFromIdentity('app', identityNumber(i, 'basic'), 24 * 3_600_000, now));
  }
  return store;
});
const sessionStats = sessions.keep.stats();
sessions.keep = null;

const credentials = await measure(async () => {
  const cache = new CredentialCache({ secret: BENCH_SECRET, ttlMs: 300_000, maxEntries: maxCredentials });
  // Twice the bound: the cache evicts down to it, which is the steady state of a busy gateway.
  for (let i = 0; i < 2 * maxCredentials; i += 1) {
    const identity = identityNumber(i, 'bearer');
    const key = cache.keyOf('app', `bearer\u0000${identity.token}`);
    // The Set-Cookie of the session handed out at the check is cached with the identity.
    const setCookie = `authentik_proxy_74e19dcd=${randomBytes(32).toString('base64url')}.${randomBytes(32).toString('base64url')}; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax`;
    cache.set(key, { identity, setCookie });
  }
  return cache;
});
const cacheSize = credentials.keep.size;
credentials.keep = null;

const sampleIdentity = identityNumber(0, 'basic');
process.stdout.write(
  `${JSON.stringify({
    sessions: { count: sessionStats.sessions, users: sessionStats.users, bytes: sessions.bytes, perSession: sessions.bytes / sessionStats.sessions },
    credentialCache: { bound: maxCredentials, size: cacheSize, bytes: credentials.bytes, perEntry: credentials.bytes / cacheSize },
    sample: { tokenChars: sampleIdentity.token.length, claimsJsonChars: JSON.stringify(sampleIdentity.claims).length },
  })}\n`,
);
