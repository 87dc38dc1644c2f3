/**
 * Distinct users' identities built the way the gateway builds them from a checked token, for the
 * in-process benches (memory.mjs, store-micro.mjs): each from a token shaped like the real one
 * (same header, claims and signature length; `sub`, `preferred_username`, `email` and `jti` made
 * unique, so no two share a user or a string).
 */

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const BENCH_SECRET = 'bench-secret-that-is-at-least-32-bytes-long!';

/** `dist`: the build to use; `token`: a real access token to imitate; `root`: the repository. */
export async function benchIdentities({ dist, token, root }) {
  const { parseConfig } = await import(pathToFileURL(join(dist, 'config/index.js')).href);
  const { identityFromClaims } = await import(pathToFileURL(join(dist, 'auth/index.js')).href);
  const config = parseConfig(
    `
secret: "${BENCH_SECRET}"
identity: { issuer: "http://127.0.0.1:9/", clientId: portcullis, clientSecret: x }
applications: [{ name: app, externalHost: "http://app.test", internalHost: "http://127.0.0.1:9" }]
`,
    { source: 'bench.yaml', env: {}, baseDir: root },
  );
  const claimsConfig = config.applications[0].identity.claims;
  const [headerPart, payloadPart, signaturePart] = token.split('.');
  const sample = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8'));
  const signatureBytes = Buffer.from(signaturePart, 'base64url').length;

  /** User number `i`'s identity, as the gateway would hold it after checking its token. */
  function identityNumber(i, method) {
    const claims = {
      ...sample,
      sub: `${sample.sub ?? 'user'}-${i}`,
      jti: randomBytes(16).toString('base64url'),
      ...(sample.preferred_username === undefined ? {} : { preferred_username: `${sample.preferred_username}-${i}` }),
      ...(sample.email === undefined ? {} : { email: `user-${i}.${sample.email}` }),
    };
    const payloadText = JSON.stringify(claims);
    const signed = `${headerPart}.${Buffer.from(payloadText).toString('base64url')}.${randomBytes(signatureBytes).toString('base64url')}`;
    // Claims come out of JSON.parse in the gateway (jose), so they are fresh objects and strings.
    return identityFromClaims(claimsConfig, { claims: JSON.parse(payloadText), token: signed, method, expiresAt: Date.now() + 3_600_000 });
  }

  return { identityNumber, maxCredentials: config.cache.maxCredentials };
}
