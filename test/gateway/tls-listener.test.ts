/**
 * The HTTPS listener: the same applications over TLS, the certificate chosen by SNI, in YAML
 * mode (`tlsListen`, `tls.certificates`) and from authentik's certificate keypairs.
 */

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { startEchoUpstream, type EchoUpstream } from '../../src/demo/echo-upstream.js';
import { ValidationError } from '../../src/errors/index.js';
import { configFromYaml, proxyConfig, startGateway } from '../support/gateway.js';
import { eventually, startOutpostStack } from '../support/outpost-stack.js';

const CERT_FILE = fileURLToPath(new URL('../devidp/fixtures/app.localhost.cert.pem', import.meta.url));
const KEY_FILE = fileURLToPath(new URL('../devidp/fixtures/app.localhost.key.pem', import.meta.url));
const CERT = readFileSync(CERT_FILE, 'utf8');

let echo: EchoUpstream;
beforeAll(async () => {
  echo = await startEchoUpstream();
});
afterAll(async () => {
  await echo?.close();
});

/** A client that trusts the test certificate and sends `servername` as SNI. */
function client(servername: string): Agent {
  return new Agent({ connect: { ca: CERT, servername } });
}

/** Whether a TLS handshake with this SNI succeeds at all. */
function handshake(url: string, servername: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port), servername, ca: CERT, rejectUnauthorized: false }, () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

describe('tlsListen in the configuration file', () => {
  it('serves the applications over TLS with the certificate for the SNI name, marked https upstream', async () => {
    const gw = await startGateway(
      proxyConfig({
        upstream: echo.url,
        externalHost: 'https://app.localhost',
        extra: 'skipPathRegex: ["^/public/"]',
        top: `tlsListen: "127.0.0.1:0"\ntls: { certificates: [{ certFile: "${CERT_FILE}", keyFile: "${KEY_FILE}" }] }`,
      }),
    );
    try {
      const tlsUrl = gw.tls;
      expect(tlsUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const res = await request(`${tlsUrl}/public/x`, { headers: { host: 'app.localhost' }, dispatcher: client('app.localhost') });
      expect(res.statusCode).toBe(200);
      const seen = JSON.parse(await res.body.text()) as { url: string; headers: Record<string, string> };
      expect(seen.url).toBe('/public/x');
      expect(seen.headers['x-forwarded-proto']).toBe('https');
      expect(await handshake(tlsUrl ?? '', 'unknown.example')).toBe(false);
      // The plain listener still answers.
      const plain = await request(`${gw.url}/public/x`, { headers: { host: 'app.localhost' } });
      expect(plain.statusCode).toBe(200);
      await plain.body.dump();
    } finally {
      await gw.close();
    }
  });

  it('refuses a certificate entry with neither or both forms, naming the key', () => {
    const base = proxyConfig({ upstream: echo.url });
    const bad = `${base.replace('secret:', 'tlsListen: "127.0.0.1:0"\ntls: { certificates: [{ certFile: "a.pem" }, {}] }\nsecret:')}`;
    try {
      configFromYaml(bad);
      expect.unreachable('the configuration validated');
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      const paths = (error as ValidationError).problems.map((p) => p.path);
      expect(paths).toEqual(['tls.certificates[0].keyFile', 'tls.certificates[1]']);
    }
  });

  it('refuses to start with a certificate file it cannot read, naming the entry', async () => {
    const yaml = proxyConfig({ upstream: echo.url, top: `tlsListen: "127.0.0.1:0"\ntls: { certificates: [{ certFile: "/nonexistent.pem", keyFile: "${KEY_FILE}" }] }` });
    await expect(startGateway(yaml)).rejects.toThrow(/^tls\.certificates\[0\]: the certificate or its key cannot be used \(ENOENT\)$/);
  });
});

describe('certificates from authentik', () => {
  it('serves a provider over TLS with its keypair, fetched from the API', async () => {
    const stack = await startOutpostStack();
    try {
      await stack.idp.outpost.setProvider(1, { certificateFile: CERT_FILE, keyFile: KEY_FILE });
      const outpost = await stack.start();
      await eventually(async () => {
        const res = await request(`${outpost.urls.health}/readyz`);
        await res.body.dump();
        return res.statusCode === 200;
      });
      const kp = stack.idp.outpost.certificateOf(1);
      expect(stack.idp.outpost.apiCalls().map((c) => c.path)).toContain(`/api/v3/crypto/certificatekeypairs/${kp}/view_private_key/`);
      const res = await request(`${outpost.urls.tls}/public/y`, { headers: { host: `app.localhost:${stack.port}` }, dispatcher: client('app.localhost') });
      expect(res.statusCode).toBe(200);
      expect(JSON.parse(await res.body.text())).toMatchObject({ url: '/public/y' });
      expect(outpost.rawLogs()).not.toContain('PRIVATE KEY');
    } finally {
      await stack.close();
    }
  });

  it('serves the others when one provider\'s keypair cannot be had, naming that provider', async () => {
    const stack = await startOutpostStack();
    try {
      await stack.idp.outpost.setProvider(1, { certificateFile: CERT_FILE, keyFile: KEY_FILE });
      stack.idp.outpost.patchRaw(2, { certificate: 'a5d2e4f0-0000-0000-0000-000000000000' });
      const outpost = await stack.start();
      await eventually(async () => {
        const res = await request(`${outpost.urls.health}/readyz`);
        await res.body.dump();
        return res.statusCode === 200;
      });
      const logged = outpost.logs().find((line) => line.msg === "a provider's certificate cannot be used; its host is served without it");
      expect(logged).toMatchObject({ keypair: 'a5d2e4f0-0000-0000-0000-000000000000', providers: [{ pk: 2, name: 'other-provider' }] });
      const res = await request(`${outpost.urls.tls}/public/z`, { headers: { host: `app.localhost:${stack.port}` }, dispatcher: client('app.localhost') });
      expect(res.statusCode).toBe(200);
      await res.body.dump();
      const other = await request(`http://127.0.0.1:${stack.port}/x`, { headers: { host: `other.localhost:${stack.port}`, 'x-authentik-no-redirect': '1' } });
      expect(other.statusCode).toBe(401);
      await other.body.dump();
    } finally {
      await stack.close();
    }
  });
});
