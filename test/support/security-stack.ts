/**
 * The real parts of a security test: the development IdP, the echo upstream, and gateways
 * built from YAML with two applications: `app` (proxy mode, `Host: app.test`) and `fwd`
 * (forward_single, `Host: fwd.test`). A test may hand a gateway its own session store (to look
 * at the memory store's sizes) and send requests as any client address, through
 * `X-Forwarded-For` from loopback (a trusted proxy by default).
 */

import { Writable } from 'node:stream';
import { request } from 'undici';
import { startEchoUpstream, type EchoUpstream } from '../../src/demo/echo-upstream.js';
import { startDevIdp, type DevIdp } from '../../src/devidp/index.js';
import { createGateway, type Gateway } from '../../src/gateway/index.js';
import { createLogger } from '../../src/observability/index.js';
import type { SessionStore } from '../../src/sessions/index.js';
import { basic, USERS_FILE } from './auth-stack.js';
import { configFromYaml } from './gateway.js';

export const PROXY_HOST = 'app.test';
export const FORWARD_HOST = 'fwd.test';

export interface SecurityGateway {
  readonly gateway: Gateway;
  readonly url: string;
  readonly port: number;
  readonly logs: () => string;
  /** Sends one request; `client` becomes the X-Forwarded-For address. */
  send(path: string, options?: SendOptions): Promise<Reply>;
  /** A Basic attempt on the proxy-mode application as `client` (default: loopback itself). */
  basic(username: string, password: string, client?: string): Promise<Reply>;
}

export interface SendOptions {
  readonly host?: string;
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly client?: string;
}

export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
}

export interface SecurityStack {
  readonly idp: DevIdp;
  readonly echo: EchoUpstream;
  /** A gateway on this IdP and upstream; closed with the stack. */
  gateway(options?: GatewayOptions): Promise<SecurityGateway>;
  close(): Promise<void>;
}

export interface GatewayOptions {
  /** YAML added at the top level (e.g. `limits: { failedLogins: { perUser: 3 } }`). */
  readonly top?: string;
  readonly sessionStore?: SessionStore;
  /** The proxy-mode application's internalHost; default the echo upstream. */
  readonly upstream?: string;
}

export async function startSecurityStack(): Promise<SecurityStack> {
  const idp = await startDevIdp({ users: USERS_FILE });
  const echo = await startEchoUpstream();
  const gateways: Gateway[] = [];
  return {
    idp,
    echo,
    async gateway(options = {}) {
      const gateway = await startSecurityGateway(securityYaml(idp.issuer, options.upstream ?? echo.url, options.top ?? ''), options.sessionStore);
      gateways.push(gateway.gateway);
      return gateway;
    },
    async close() {
      await Promise.all(gateways.map((gw) => gw.close()));
      await echo.close();
      await idp.close();
    },
  };
}

export function securityYaml(issuer: string, upstream: string, top: string): string {
  return `
listen: "127.0.0.1:0"
metricsListen: ""
secret: "\${PORTCULLIS_SECRET}"
${top}
identity:
  issuer: "${issuer}"
  clientId: portcullis
  clientSecret: portcullis-dev-secret
applications:
  - name: app
    externalHost: "http://${PROXY_HOST}"
    internalHost: "${upstream}"
  - name: fwd
    externalHost: "http://${FORWARD_HOST}"
    mode: forward_single
`;
}

async function startSecurityGateway(yaml: string, sessionStore: SessionStore | undefined): Promise<SecurityGateway> {
  const config = configFromYaml(yaml);
  let text = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString('utf8');
      callback();
    },
  });
  const logger = createLogger({ config: { level: 'info', format: 'json' }, destination: sink });
  const gateway = await createGateway({ config, logger, ...(sessionStore === undefined ? {} : { sessionStore }) });
  const port = Number(new URL((await gateway.listen()).gateway).port);
  const deadline = Date.now() + 5000;
  while (!gateway.idps.isReady() && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const url = `http://127.0.0.1:${port}`;
  const send = async (path: string, options: SendOptions = {}): Promise<Reply> => {
    const headers: Record<string, string> = { host: options.host ?? PROXY_HOST, 'x-authentik-no-redirect': '1', ...options.headers };
    if (options.client !== undefined) headers['x-forwarded-for'] = options.client;
    const res = await request(`${url}${path}`, { method: (options.method ?? 'GET') as 'GET', headers });
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  };
  return {
    gateway,
    url,
    port,
    logs: () => text,
    send,
    basic: (username, password, client) =>
      send('/private', { headers: { authorization: basic(username, password) }, ...(client === undefined ? {} : { client }) }),
  };
}

/** How many token-endpoint calls `run` cost the IdP. */
export async function tokenCallsDuring(idp: DevIdp, run: () => Promise<unknown>): Promise<number> {
  const before = idp.calls('token');
  await run();
  return idp.calls('token') - before;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}
