/**
 * `identity.tlsVerify: false` (authentik mode: AUTHENTIK_INSECURE): calls to an IdP with a
 * self-signed certificate go through, still as the global `Response` the OpenID libraries check
 * for; with verification (the default) they are refused.
 */

import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { observedFetch } from '../../src/idp/index.js';

const cert = readFileSync(new URL('../devidp/fixtures/app.localhost.cert.pem', import.meta.url), 'utf8');
const key = readFileSync(new URL('../devidp/fixtures/app.localhost.key.pem', import.meta.url), 'utf8');
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer({ cert, key }, (_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ issuer: 'self-signed' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/openid-configuration`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

it('reaches a self-signed IdP only with tlsVerify: false, answering a global Response', async () => {
  const unverified = observedFetch(undefined, () => 'discovery', { tlsVerify: false });
  const res = await unverified(url, {});
  expect(res).toBeInstanceOf(Response);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ issuer: 'self-signed' });
  const verified = observedFetch(undefined, () => 'discovery');
  await expect(verified(url, {})).rejects.toThrow();
});
