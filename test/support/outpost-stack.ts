/**
 * The real parts of an authentik-mode test: the dev IdP serving authentik's outpost API and
 * websocket over HTTP, the echo upstream, and Portcullis following that API, in this process
 * (`startAuthentikOutpost`, logs to memory) or as `portcullis run` with AUTHENTIK_HOST and
 * AUTHENTIK_TOKEN in its environment. Applications are `<slug>.localhost:<port>` on one
 * loopback port, each Proxy Provider on its own OAuth client.
 */

import { Writable } from 'node:stream';
import { authentikSettingsFrom } from '../../src/authentik/index.js';
import { startEchoUpstream, type EchoUpstream } from '../../src/demo/echo-upstream.js';
import { loadUsersFile, startDevIdp, type DevIdp, type DevOutpostProvider } from '../../src/devidp/index.js';
import { createLogger } from '../../src/observability/index.js';
import { startAuthentikOutpost, type AuthentikOutpost } from '../../src/run.js';
import { USERS_FILE } from './auth-stack.js';
import { parseLogLines } from './gateway.js';
import { spawnGateway, type GatewayProcess } from './gateway-process.js';
import { freePort } from './wait.js';

export const OUTPOST_TOKEN = 'dev-outpost-token';
export const OUTPOST_NAME = 'portcullis-dev';
const CALLBACK = '/outpost.goauthentik.io/callback?X-authentik-auth-callback=true';

export interface OutpostStack {
  readonly idp: DevIdp;
  readonly echo: EchoUpstream;
  /** The gateway's port (fixed before start, so the IdP knows every callback). */
  readonly port: number;
  /** `http://<slug>.localhost:<port>`. */
  origin(slug: string): string;
  /** The environment `portcullis run` gets: AUTHENTIK_HOST, AUTHENTIK_TOKEN, listeners. */
  env(): Record<string, string>;
  /** Portcullis in this process; its log lines are kept. */
  start(options?: InProcessOptions): Promise<RunningOutpost>;
  /** `portcullis run` as its own process. */
  spawn(env?: Record<string, string>): Promise<GatewayProcess>;
  close(): Promise<void>;
}

export interface InProcessOptions {
  readonly retryMs?: number;
  readonly triggerJitterMs?: number;
  readonly helloIntervalMs?: number;
  readonly env?: Record<string, string>;
}

export interface RunningOutpost extends AuthentikOutpost {
  logs(): Record<string, unknown>[];
  rawLogs(): string;
}

/** Two providers on two clients: `app` (proxy, client portcullis) and `other` (proxy, client other-app). */
export function defaultProviders(port: number, upstream: string): DevOutpostProvider[] {
  return [
    provider({ pk: 1, name: 'app-provider', client: 'portcullis', slug: 'app', port, upstream, skipPathRegex: '^/public/' }),
    provider({ pk: 2, name: 'other-provider', client: 'other-app', slug: 'other', port, upstream }),
  ];
}

export function provider(options: { pk: number; name: string; client: string; slug: string; port: number; upstream: string; skipPathRegex?: string }): DevOutpostProvider {
  return {
    pk: options.pk,
    name: options.name,
    client: options.client,
    slug: options.slug,
    applicationName: options.slug.toUpperCase(),
    externalHost: `http://${options.slug}.localhost:${options.port}`,
    internalHost: options.upstream,
    internalHostSslValidation: true,
    mode: 'proxy',
    skipPathRegex: options.skipPathRegex ?? '',
    basicAuthEnabled: false,
    basicAuthUserAttribute: '',
    basicAuthPasswordAttribute: '',
    interceptHeaderAuth: true,
    cookieDomain: '',
    accessTokenValidity: 600,
    scopes: ['openid', 'profile', 'email', 'ak_proxy'],
    certificateFile: '',
    keyFile: '',
  };
}

export async function startOutpostStack(options: { providers?: (port: number, upstream: string) => DevOutpostProvider[] } = {}): Promise<OutpostStack> {
  const port = await freePort();
  const echo = await startEchoUpstream();
  const providers = (options.providers ?? defaultProviders)(port, echo.url);
  const users = await loadUsersFile(USERS_FILE);
  // Every provider's callback is registered with its client, so browsers can sign in to each.
  const clients = users.clients.map((client) => ({
    ...client,
    redirectUris: [...client.redirectUris, ...providers.filter((p) => p.client === client.id).map((p) => `${p.externalHost}${CALLBACK}`)],
  }));
  const idp = await startDevIdp({
    users: { ...users, clients, outpost: { name: OUTPOST_NAME, token: OUTPOST_TOKEN, refreshIntervalS: 300, providers } },
  });
  const running: { close(): Promise<unknown> }[] = [];
  const env = (): Record<string, string> => ({
    AUTHENTIK_HOST: idp.outpost.authentikHost,
    AUTHENTIK_TOKEN: OUTPOST_TOKEN,
    AUTHENTIK_LISTEN__HTTP: `127.0.0.1:${port}`,
    AUTHENTIK_LISTEN__METRICS: '127.0.0.1:0',
    AUTHENTIK_LISTEN__HTTPS: '127.0.0.1:0',
  });
  return {
    idp,
    echo,
    port,
    origin: (slug) => `http://${slug}.localhost:${port}`,
    env,
    async start(startOptions = {}) {
      let text = '';
      const sink = new Writable({
        write(chunk: Buffer, _encoding, callback) {
          text += chunk.toString('utf8');
          callback();
        },
      });
      const allEnv = { ...env(), ...startOptions.env };
      const outpost = await startAuthentikOutpost({
        settings: authentikSettingsFrom(allEnv),
        configFile: null,
        env: allEnv,
        logger: createLogger({ config: { level: 'info', format: 'json' }, destination: sink }),
        source: {
          retryMs: startOptions.retryMs ?? 200,
          triggerJitterMs: startOptions.triggerJitterMs ?? 0,
          ...(startOptions.helloIntervalMs === undefined ? {} : { helloIntervalMs: startOptions.helloIntervalMs }),
        },
      });
      running.push(outpost);
      return {
        ...outpost,
        rawLogs: () => text,
        logs: () => parseLogLines(text),
      };
    },
    async spawn(extra = {}) {
      const child = await spawnGateway({ env: { ...env(), ...extra } });
      running.push({ close: () => child.stop() });
      return child;
    },
    async close() {
      await Promise.allSettled(running.map((r) => r.close()));
      await echo.close();
      await idp.close();
    },
  };
}

/** Polls until `check` holds (or fails the test after `timeoutMs`). */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 8_000, what = 'the condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${what} did not hold within ${timeoutMs} ms`);
}
