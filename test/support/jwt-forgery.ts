/**
 * Tokens an attacker could present: hand-built JWS with `alg: none`, HMAC-signed with
 * whatever key material is public, signed by a key the IdP never published and pointing at
 * it through `jku` / `x5u` / `jwk`. Plus a tiny HTTP server that only counts who asked it
 * for anything, to show the gateway never followed such a pointer.
 */

import { createHmac, createPublicKey, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTHeaderParameters } from 'jose';
import type { DevIdp } from '../../src/devidp/index.js';
import { CLIENTS, endpointsOf, SCOPE } from './auth-stack.js';

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/**
 * The claims the dev IdP puts in an access token of `username` for the `portcullis` client,
 * valid for ten minutes from now, with `overrides` laid on top (`undefined` removes a claim).
 */
export function accessClaims(idp: DevIdp, username: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {
    ...idp.userClaims(username),
    scope: SCOPE,
    client_id: CLIENTS.portcullis.id,
    azp: CLIENTS.portcullis.id,
    iss: idp.issuer,
    aud: CLIENTS.portcullis.id,
    iat: now,
    exp: now + 600,
    jti: randomUUID(),
    ...overrides,
  };
  for (const [key, value] of Object.entries(claims)) {
    if (value === undefined) {
      delete claims[key];
    }
  }
  return claims;
}

/** An unsecured JWS (RFC 7515 appendix A.5): header, payload and an empty signature. */
export function unsignedJwt(header: Record<string, unknown>, payload: Record<string, unknown>): string {
  return `${b64url(header)}.${b64url(payload)}.`;
}

/** A JWS whose HS256 signature is keyed with `secret` (any bytes the attacker can get hold of). */
export function hmacJwt(header: Record<string, unknown>, payload: Record<string, unknown>, secret: string | Buffer): string {
  const input = `${b64url({ alg: 'HS256', ...header })}.${b64url(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** The IdP's published signing key as an attacker sees it: the JWK, its JSON text and its SPKI PEM. */
export async function publishedKey(idp: DevIdp): Promise<{ jwk: JWK; json: string; pem: string }> {
  const { jwks_uri } = await endpointsOf(idp);
  const { keys } = (await (await fetch(jwks_uri)).json()) as { keys: JWK[] };
  const jwk = keys[0];
  if (jwk === undefined) {
    throw new Error('the IdP publishes no keys');
  }
  const pem = createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
  return { jwk, json: JSON.stringify(jwk), pem };
}

export interface RogueKey {
  readonly kid: string;
  readonly publicJwk: JWK;
  /** Signs with the rogue private key (RS256); `header` adds to or overrides the protected header. */
  sign(payload: Record<string, unknown>, header?: Partial<JWTHeaderParameters>): Promise<string>;
}

/** An RS256 key pair the IdP never heard of. */
export async function rogueKey(kid = 'attacker-key'): Promise<RogueKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  return {
    kid,
    publicJwk,
    sign: (payload, header = {}) =>
      new SignJWT({ ...payload }).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid, ...header } as JWTHeaderParameters).sign(privateKey),
  };
}

export interface CountingServer {
  readonly url: string;
  /** Requests received so far, any path, any method. */
  readonly hits: () => number;
  close(): Promise<void>;
}

/** A server that answers every request with `body` (JSON) and counts them. */
export async function startCountingServer(body: unknown): Promise<CountingServer> {
  let hits = 0;
  const server = createServer((_req, res) => {
    hits += 1;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits: () => hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
