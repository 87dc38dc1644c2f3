import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startDevIdp, type DevIdp } from '../../src/devidp/index.js';
import { proxyConfig, startGateway, type RunningGateway } from '../support/gateway.js';
import { USERS_FILE } from '../devidp/support.js';

let idp: DevIdp;
let gw: RunningGateway;

async function status(url: string): Promise<number> {
  const res = await request(url);
  await res.body.text();
  return res.statusCode;
}

async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

beforeAll(async () => {
  idp = await startDevIdp({ users: USERS_FILE });
  idp.failEndpoint('discovery', 503);
  gw = await startGateway(proxyConfig({ upstream: 'http://127.0.0.1:9', issuer: idp.issuer }));
});
afterAll(async () => {
  await gw?.close();
  await idp?.close();
});

describe('operations listener', () => {
  it('serves liveness and readiness on metricsListen, not on the gateway port', async () => {
    expect(gw.health).not.toBeNull();
    expect(await status(`${gw.health}/healthz`)).toBe(200);
    const onGateway = await request(`${gw.url}/healthz`, { headers: { host: 'app.test', accept: 'application/json' } });
    await onGateway.body.text();
    expect(onGateway.statusCode).not.toBe(200);
  });

  it('is not ready until the IdP discovery document was fetched, then ready without a restart', async () => {
    expect(await status(`${gw.health}/readyz`)).toBe(503);
    expect(idp.calls('discovery')).toBeGreaterThan(0);
    idp.clearFaults();
    expect(await eventually(async () => (await status(`${gw.health}/readyz`)) === 200, 8_000)).toBe(true);
  });

  it('reports not ready while draining', async () => {
    const draining = await startGateway(proxyConfig({ upstream: 'http://127.0.0.1:9', issuer: idp.issuer }));
    expect(await eventually(async () => (await status(`${draining.health}/readyz`)) === 200, 8_000)).toBe(true);
    const closing = draining.close();
    // The health listener closes last; until then it must not claim readiness.
    const seen = await status(`${draining.health}/readyz`).catch(() => 0);
    await closing;
    expect([0, 503]).toContain(seen);
  });
});
