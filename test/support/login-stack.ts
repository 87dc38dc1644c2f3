/**
 * The real parts of a browser-login test, started together: the development IdP over HTTP
 * (its `portcullis` client knowing every application's callback), the echo upstream and a
 * gateway in proxy mode with one or more applications on one loopback port, told apart by
 * host name (`<name>.localhost` by default). Sessions live in memory or in Redis.
 */

import { fileURLToPath } from 'node:url';
import { cookieNameFor } from '../../src/config/index.js';
import { startEchoUpstream, type EchoUpstream } from '../../src/demo/echo-upstream.js';
import { loadUsersFile, startDevIdp, type DevIdp, type DevIdpTtl } from '../../src/devidp/index.js';
import { startGateway, type RunningGateway } from './gateway.js';
import { HttpBrowser, parseSetCookie, type Hop } from './http-browser.js';
import { deleteKeysUnder, newKeyPrefix, REDIS_URL } from './redis.js';
import { freePort } from './wait.js';

export const USERS_FILE = fileURLToPath(new URL('./users.yaml', import.meta.url));
export const CLIENT_ID = 'portcullis';
export const CLIENT_SECRET = 'portcullis-dev-secret';
export const COOKIE_NAME = cookieNameFor(CLIENT_ID);
export const RESERVED = '/outpost.goauthentik.io';
/** The redirect_uri the gateway sends, exactly as authentik registers it for proxy providers. */
export const CALLBACK_SUFFIX = `${RESERVED}/callback?X-authentik-auth-callback=true`;

/** Login passwords of `users.yaml` (see its header comment). */
export const PASSWORDS: Readonly<Record<string, string>> = { alice: 'alice-password', bob: 'bob-password', carol: 'carol-password' };

export type SessionStoreChoice =
  | { readonly kind: 'memory' }
  /** `keepKeys`: do not delete the prefix's keys at close (a Redis the test made unreachable). */
  | { readonly kind: 'redis'; readonly url: string; readonly keyPrefix: string; readonly keepKeys?: boolean };

export interface AppSpec {
  readonly name: string;
  /** Default `http://<name>.localhost:{port}`; `{port}` is replaced by the gateway's port. */
  readonly externalHost?: string;
  /** Default `proxy` (to the echo upstream). */
  readonly mode?: 'proxy' | 'forward_single';
}

export interface LoginStackOptions {
  /** Default: one application `app`. The first one is the default of every helper. */
  readonly apps?: readonly AppSpec[];
  readonly sessions?: SessionStoreChoice;
  /** Token lifetimes of the dev IdP, in seconds. */
  readonly ttl?: DevIdpTtl;
  /** Registers this application's back-channel logout endpoint with the IdP client. */
  readonly backchannelApp?: string;
}

export interface LoginResult {
  readonly hops: readonly Hop[];
  /** The gateway's answer to the callback. */
  readonly callback: Hop;
  /** The page the browser ended on. */
  readonly final: Hop;
  /** The session cookie's value the browser now holds. */
  readonly cookie: string;
}

export interface StartedLogin {
  /** Where the IdP sent the browser back: the gateway's callback with code and state. */
  readonly callbackUrl: string;
  /** The sealed login-state cookie `/start` set for this login. */
  readonly loginCookie: { readonly name: string; readonly value: string };
  /** The answer of `/start`. */
  readonly start: Hop;
}

export interface LoginStack {
  readonly idp: DevIdp;
  readonly echo: EchoUpstream;
  readonly gw: RunningGateway;
  readonly port: number;
  /** The externalHost origin of an application (default: the first). */
  origin(app?: string): string;
  /** A fresh browser that reaches every application (https ones through a TLS terminator). */
  browser(): HttpBrowser;
  /** Logs `username` in through the gateway, from `path` of `app`, like a browser. */
  login(browser: HttpBrowser, username: string, options?: { app?: string; path?: string }): Promise<LoginResult>;
  /**
   * Starts a login at `/start?rd=` and takes it through the IdP up to (not including) the
   * callback, so a test can tamper with it.
   */
  authorize(browser: HttpBrowser, username: string, options?: { app?: string; rd?: string }): Promise<StartedLogin>;
  /** Another gateway process-alike with the same configuration on another port (a replica). */
  replica(): Promise<RunningGateway>;
  close(): Promise<void>;
}

function sessionsYaml(choice: SessionStoreChoice | undefined): string {
  if (choice === undefined || choice.kind === 'memory') return 'sessions: { store: memory }';
  return `sessions: { store: redis, redis: { url: "${choice.url}", keyPrefix: "${choice.keyPrefix}" } }`;
}

export async function startLoginStack(options: LoginStackOptions = {}): Promise<LoginStack> {
  const port = await freePort();
  const specs = options.apps ?? [{ name: 'app' }];
  const origins = new Map(specs.map((spec) => [spec.name, new URL((spec.externalHost ?? `http://${spec.name}.localhost:{port}`).replace('{port}', String(port))).origin]));
  const originOf = (app?: string): string => {
    const origin = origins.get(app ?? specs[0]?.name ?? '');
    if (origin === undefined) throw new Error(`no application ${app}`);
    return origin;
  };
  const users = await loadUsersFile(USERS_FILE);
  const callbacks = [...origins.values()].map((origin) => `${origin}${CALLBACK_SUFFIX}`);
  const backchannel = options.backchannelApp === undefined ? undefined : `${originOf(options.backchannelApp)}${RESERVED}/backchannel_logout`;
  const clients = users.clients.map((c) =>
    c.id === CLIENT_ID ? { ...c, redirectUris: [...c.redirectUris, ...callbacks], ...(backchannel === undefined ? {} : { backchannelLogoutUri: backchannel }) } : c,
  );
  const idp = await startDevIdp({ users: { ...users, clients }, ...(options.ttl === undefined ? {} : { ttl: options.ttl }) });
  const echo = await startEchoUpstream();
  const yamlFor = (listenPort: number) => `
listen: "127.0.0.1:${listenPort}"
metricsListen: ""
secret: "\${PORTCULLIS_SECRET}"
${sessionsYaml(options.sessions)}
identity: { issuer: "${idp.issuer}", clientId: ${CLIENT_ID}, clientSecret: ${CLIENT_SECRET} }
applications:
${specs
  .map(
    (spec) => `  - name: ${spec.name}
    externalHost: "${(spec.externalHost ?? `http://${spec.name}.localhost:{port}`).replace('{port}', String(port))}"
    ${spec.mode === 'forward_single' ? 'mode: forward_single' : `internalHost: "${echo.url}"`}`,
  )
  .join('\n')}
`;
  const gateways: RunningGateway[] = [];
  let gw: RunningGateway;
  try {
    gw = await startGateway(yamlFor(port));
  } catch (error) {
    await echo.close();
    await idp.close();
    throw error;
  }
  gateways.push(gw);
  // https applications are reached through an imaginary TLS terminator in front of the gateway.
  const tls = Object.fromEntries(
    [...origins.values()].filter((origin) => origin.startsWith('https:')).map((origin) => [origin, `http://${new URL(origin).hostname}:${port}`]),
  );

  const stack: LoginStack = {
    idp,
    echo,
    gw,
    port,
    origin: originOf,
    browser: () => new HttpBrowser({ tlsTerminated: tls }),
    async login(browser, username, loginOptions = {}) {
      const origin = originOf(loginOptions.app);
      const password = PASSWORDS[username];
      if (password === undefined) throw new Error(`no password known for ${username}`);
      const walk = await browser.walk(`${origin}${loginOptions.path ?? '/'}`, { credentials: { username, password } });
      const callback = walk.hops.find((hop) => hop.url.startsWith(`${origin}${RESERVED}/callback`));
      if (callback === undefined || callback.status !== 302 || walk.final === undefined) {
        throw new Error(`login of ${username} did not complete: ${walk.hops.map((h) => `${h.status} ${h.url}`).join(' -> ')}\n${(walk.final ?? callback)?.body.slice(0, 500)}`);
      }
      const cookie = browser.cookie(origin, COOKIE_NAME);
      if (cookie === undefined) throw new Error(`login of ${username} left no session cookie`);
      return { hops: walk.hops, callback, final: walk.final, cookie };
    },
    async authorize(browser, username, authorizeOptions = {}) {
      const origin = originOf(authorizeOptions.app);
      const password = PASSWORDS[username];
      if (password === undefined) throw new Error(`no password known for ${username}`);
      const rd = authorizeOptions.rd === undefined ? '' : `?rd=${encodeURIComponent(authorizeOptions.rd)}`;
      const walk = await browser.walk(`${origin}${RESERVED}/start${rd}`, {
        credentials: { username, password },
        until: (url) => url.origin === origin && url.pathname === `${RESERVED}/callback`,
      });
      const start = walk.hops[0];
      const cookie = start === undefined ? undefined : start.setCookies.map(parseSetCookie).find((c) => c.name.startsWith(`${COOKIE_NAME}_login_`));
      if (walk.stoppedAt === undefined || start === undefined || cookie === undefined) {
        throw new Error(`the IdP did not send ${username} back: ${walk.hops.map((h) => `${h.status} ${h.url}`).join(' -> ')}`);
      }
      return { callbackUrl: walk.stoppedAt, loginCookie: { name: cookie.name, value: cookie.value }, start };
    },
    async replica() {
      const replica = await startGateway(yamlFor(0));
      gateways.push(replica);
      return replica;
    },
    async close() {
      await Promise.allSettled(gateways.map((g) => g.close()));
      await echo.close();
      await idp.close();
      if (options.sessions?.kind === 'redis' && options.sessions.keepKeys !== true) {
        await deleteKeysUnder(options.sessions.url, options.sessions.keyPrefix);
      }
    },
  };
  return stack;
}

/**
 * How many requests the upstream has received so far (to prove it was not contacted). The echo
 * upstream keeps its last 1,000 requests only: meaningful for stacks that proxy fewer than that.
 */
export function upstreamCount(stack: LoginStack): number {
  return stack.echo.received.length;
}

/** The JSON the echo upstream answered with: what it received. */
export function echoed(hop: Hop): { url: string; headers: Record<string, string | undefined> } {
  if (hop.status !== 200) throw new Error(`expected the upstream's 200, got ${hop.status}: ${hop.body.slice(0, 300)}`);
  return JSON.parse(hop.body) as { url: string; headers: Record<string, string | undefined> };
}

/** An API client's request with only this session cookie: 200 with the identity, or 401. */
export async function apiRequest(browser: HttpBrowser, url: string, cookie: string | undefined): Promise<Hop> {
  return browser.request(url, {
    accept: 'application/json',
    anonymous: true,
    headers: cookie === undefined ? {} : { cookie: `${COOKIE_NAME}=${cookie}` },
  });
}

/** Sessions in memory, or in the Redis at REDIS_URL under a fresh key prefix. */
export function storeChoice(kind: 'memory' | 'redis'): SessionStoreChoice {
  return kind === 'memory' ? { kind } : { kind, url: REDIS_URL, keyPrefix: newKeyPrefix() };
}
