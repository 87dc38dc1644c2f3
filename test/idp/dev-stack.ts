/**
 * The development IdP, the echo upstream and gateways with identity settings of the test's
 * choosing, for the issue-15 tests (client authentication, UserInfo, RP-initiated logout). Each
 * gateway gets its own port, chosen before the IdP starts, so its callback is registered.
 */

import { fileURLToPath } from 'node:url';
import { cookieNameFor } from '../../src/config/index.js';
import { startEchoUpstream, type EchoUpstream } from '../../src/demo/echo-upstream.js';
import { loadUsersFile, startDevIdp, type DevClient, type DevIdp, type DevIdpOptions } from '../../src/devidp/index.js';
import { proxyConfig, startGateway, type RunningGateway } from '../support/gateway.js';
import { HttpBrowser, type Hop } from '../support/http-browser.js';
import { freePort } from '../support/wait.js';

export const USERS_FILE = fileURLToPath(new URL('../support/users.yaml', import.meta.url));
export const RESERVED = '/outpost.goauthentik.io';
export const CALLBACK = `${RESERVED}/callback?X-authentik-auth-callback=true`;
export const PORTCULLIS = { id: 'portcullis', secret: 'portcullis-dev-secret' } as const;

export interface DevStackOptions {
  /** Names of the gateways' applications; one port each. */
  readonly apps: readonly string[];
  readonly idp?: Omit<Partial<DevIdpOptions>, 'users'>;
  /** Extra clients, registered with every application's callback (like `portcullis`). */
  readonly clients?: readonly Omit<DevClient, 'redirectUris' | 'postLogoutRedirectUris' | 'backchannelLogoutUri'>[];
}

export interface DevStack {
  readonly idp: DevIdp;
  readonly echo: EchoUpstream;
  origin(app: string): string;
  /** A proxy-mode gateway for `app` whose identity block is `identity` (YAML lines) under the dev IdP's issuer. */
  gateway(app: string, identity?: string, top?: string): Promise<RunningGateway>;
  close(): Promise<void>;
}

export async function startDevStack(options: DevStackOptions): Promise<DevStack> {
  const ports = new Map<string, number>();
  for (const app of options.apps) ports.set(app, await freePort());
  const origin = (app: string): string => {
    const port = ports.get(app);
    if (port === undefined) throw new Error(`no application ${app}`);
    return `http://${app}.localhost:${port}`;
  };
  const callbacks = options.apps.map((app) => `${origin(app)}${CALLBACK}`);
  const users = await loadUsersFile(USERS_FILE);
  const extra: DevClient[] = (options.clients ?? []).map((client) => ({ ...client, redirectUris: callbacks, postLogoutRedirectUris: [], backchannelLogoutUri: '' }));
  const clients = [...users.clients.map((c) => (c.id === PORTCULLIS.id ? { ...c, redirectUris: [...c.redirectUris, ...callbacks] } : c)), ...extra];
  const idp = await startDevIdp({ ...options.idp, users: { ...users, clients } });
  const echo = await startEchoUpstream();
  const running: RunningGateway[] = [];
  return {
    idp,
    echo,
    origin,
    async gateway(app, identity = `clientId: ${PORTCULLIS.id}\nclientSecret: ${PORTCULLIS.secret}`, top = '') {
      const gw = await startGateway(
        proxyConfig({ port: new URL(origin(app)).port, name: app, externalHost: origin(app), upstream: echo.url, issuer: idp.issuer, identity, top }),
      );
      running.push(gw);
      return gw;
    },
    async close() {
      await Promise.allSettled(running.map((gw) => gw.close()));
      await echo.close();
      await idp.close();
    },
  };
}

export interface BrowserLogin {
  readonly browser: HttpBrowser;
  /** The gateway's answer to the callback, when the IdP sent the browser back. */
  readonly callback: Hop | undefined;
  readonly final: Hop | undefined;
}

/** Logs `alice` in from `origin` like a browser (the dev IdP's login form). */
export async function loginAlice(origin: string, browser = new HttpBrowser()): Promise<BrowserLogin> {
  const walk = await browser.walk(`${origin}/whoami`, { credentials: { username: 'alice', password: 'alice-password' } });
  const callback = walk.hops.find((hop) => hop.url.startsWith(`${origin}${RESERVED}/callback`));
  return { browser, callback, final: walk.final };
}

/** The identity headers the echo upstream received, from its JSON answer. */
export function upstreamHeaders(hop: Hop | undefined): Record<string, string | undefined> {
  if (hop?.status !== 200) throw new Error(`expected the upstream's 200, got ${hop?.status}: ${hop?.body.slice(0, 300)}`);
  return (JSON.parse(hop.body) as { headers: Record<string, string | undefined> }).headers;
}

export function sessionCookieName(clientId: string): string {
  return cookieNameFor(clientId);
}

export function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}
