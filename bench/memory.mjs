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

if (typeof globalThis.gc !== 'function') {
  throw new Error('run with node --expose-gc');
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const options = JSON.parse(process.argv[2] ?? '{}');
const dist = resolve(options.dist ?? join(ROOT, 'dist'));
const fromDist = (path) => import(pathToFileURL(join(dist, path)).href);

const { parseConfig } = await fromDist('config/index.js');
const { MemorySessionStore } = await fromDist('sessions/index.js');
const { CredentialCache, identityFromClaims, sessionFromIdentity } = await fromDist('auth/index.js');

const SESSIONS = options.sessions ?? 100_000;
const config = parseConfig(
  `
secret: "bench-secret-that-is-at-least-32-bytes-long!"
identity: { issuer: "http://127.0.0.1:9/", clientId: portcullis, clientSecret: x }
applications: [{ name: app, externalHost: "http://app.test", internalHost: "http://127.0.0.1:9" }]
`,
  { source: 'bench.yaml', env: {}, baseDir: ROOT },
);
const claimsConfig = config.applications[0].identity.claims;
const maxCredentials = config.cache.maxCredentials;

const [headerPart, payloadPart, signaturePart] = options.token.split('.');
const sample = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8'));
const signatureBytes = Buffer.from(signaturePart, 'base64url').length;

/** A distinct user's token and identity, as the gateway would hold them after checking it. */
function identityNumber(i, method) {
  const claims = {
    ...sample,
    sub: `${sample.sub ?? 'user'}-${i}`,
    jti: randomBytes(16).toString('base64url'),
    ...(sample.preferred_username === undefined ? {} : { preferred_username: `${sample.preferred_username}-${i}` }),
    ...(sample.email === undefined ? {} : { email: `user-${i}.${sample.email}` }),
  };
  const payloadText = JSON.stringify(claims);
  const token = `${headerPart}.${Buffer.from(payloadText).toString('base64url')}.${randomBytes(signatureBytes).toString('base64url')}`;
  // Claims come out of JSON.parse in the gateway (jose), so they are fresh objects and strings.
  return identityFromClaims(claimsConfig, { claims: JSON.parse(payloadText), token, method, expiresAt: Date.now() + 3_600_000 });
}

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
  const cache = new CredentialCache({ secret: 'bench-secret-that-is-at-least-32-bytes-long!', ttlMs: 300_000, maxEntries: maxCredentials });
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
