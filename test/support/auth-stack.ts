/**
 * The real parts of a header-authentication test, started together: the development IdP on
 * an ephemeral port, the echo upstream and a gateway in proxy mode for `app.test` whose
 * identity block points at that IdP. Every request a test sends carries a unique tag, so the
 * test can ask what the upstream received for exactly that request, or that it received
 * nothing.
 */

import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { startEchoUpstream, type EchoRequest, type EchoUpstream } from '../../src/demo/echo-upstream.js';
import { startDevIdp, type DevIdp, type DevIdpOptions } from '../../src/devidp/index.js';
import { proxyConfig, startGateway, type RunningGateway } from './gateway.js';
import { rawRequest, type RawResponse } from './raw-http.js';

export const USERS_FILE = fileURLToPath(new URL('./users.yaml', import.meta.url));
export const APP_HOST = 'app.test';
export const SCOPE = 'openid profile email ak_proxy';

/** The OAuth clients of `users.yaml`. */
export const CLIENTS = {
  portcullis: { id: 'portcullis', secret: 'portcullis-dev-secret' },
  other: { id: 'other-app', secret: 'other-app-dev-secret' },
} as const;

/** The plaintext passwords of `users.yaml` (its header comment). */
export const PASSWORDS = {
  alice: { login: 'alice-password', cli: 'alice-app-password', ci: 'alice-ci-password' },
  bob: { login: 'bob-password', cli: 'bob-app-password' },
  carol: { login: 'carol-password', cli: 'carol-app-password' },
} as const;

/** The challenges of the application `app` (DESIGN.md §5), one field line each. */
export const CHALLENGES = {
  basic: 'Basic realm="app", charset="UTF-8"',
  bearer: 'Bearer realm="app"',
  invalidBearer: 'Bearer realm="app", error="invalid_token"',
} as const;

/** The header each request is tagged with, to find it among what the upstream received. */
export const TAG_HEADER = 'x-test-tag';

export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  /** What the echo upstream received for this very request; undefined when it was never contacted. */
  readonly upstream: EchoRequest | undefined;
  /** Wall-clock time from sending to the end of the body. */
  readonly ms: number;
}

export interface RawAnswer extends RawResponse {
  readonly upstream: EchoRequest | undefined;
}

export interface GatewayUnderTest {
  readonly gw: RunningGateway;
  /** Sends a request with `Host: app.test` (unless `host` is given) and a fresh tag. */
  get(path: string, headers?: Record<string, string>): Promise<Answer>;
  /** Sends hand-written header lines over bare TCP (for duplicates undici would merge). */
  raw(path: string, lines: readonly string[]): Promise<RawAnswer>;
}

export interface AuthStack extends GatewayUnderTest {
  readonly idp: DevIdp;
  readonly echo: EchoUpstream;
  /** Another gateway on the same IdP and upstream (its own caches); closed with the stack. */
  gateway(options?: GatewayOptions): Promise<GatewayUnderTest>;
  close(): Promise<void>;
}

export interface GatewayOptions {
  /** YAML lines added to the application (e.g. `headerAuth: { intercept: false }`). */
  readonly app?: string;
  /** YAML lines added at the top level (e.g. `cache: { credentialTtl: "1s" }`). */
  readonly top?: string;
  /** Overrides the issuer the gateway uses (default: the dev IdP's; then discovery is not awaited). */
  readonly issuer?: string;
}

export interface StackOptions extends GatewayOptions {
  readonly idp?: Partial<DevIdpOptions>;
}

export async function startAuthStack(options: StackOptions = {}): Promise<AuthStack> {
  const idp = await startDevIdp({ users: USERS_FILE, ...options.idp });
  const echo = await startEchoUpstream();
  const gateways: RunningGateway[] = [];
  const gateway = async (gatewayOptions: GatewayOptions = {}): Promise<GatewayUnderTest> => {
    const gw = await startGateway(
      proxyConfig({
        upstream: echo.url,
        issuer: gatewayOptions.issuer ?? idp.issuer,
        ...(gatewayOptions.app === undefined ? {} : { extra: gatewayOptions.app }),
        ...(gatewayOptions.top === undefined ? {} : { top: gatewayOptions.top }),
      }),
    );
    gateways.push(gw);
    if (gatewayOptions.issuer === undefined) {
      await waitUntilReady(gw);
    }
    return clientFor(gw, echo);
  };
  try {
    const main = await gateway(options);
    return {
      ...main,
      idp,
      echo,
      gateway,
      close: async () => {
        await Promise.all(gateways.map((gw) => gw.close()));
        await echo.close();
        await idp.close();
      },
    };
  } catch (error) {
    await Promise.all(gateways.map((gw) => gw.close()));
    await echo.close();
    await idp.close();
    throw error;
  }
}

/** Waits for the gateway's background discovery, so that call counters start from a settled IdP. */
async function waitUntilReady(gw: RunningGateway): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!gw.gateway.idps.isReady() && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function clientFor(gw: RunningGateway, echo: EchoUpstream): GatewayUnderTest {
  return {
    gw,
    async get(path, headers = {}) {
      const tag = randomUUID();
      const started = performance.now();
      const res = await request(`${gw.url}${path}`, { headers: { host: APP_HOST, [TAG_HEADER]: tag, ...headers } });
      const text = await res.body.text();
      return { status: res.statusCode, headers: res.headers, text, upstream: receivedWithTag(echo, tag), ms: performance.now() - started };
    },
    async raw(path, lines) {
      const tag = randomUUID();
      const text = [`GET ${path} HTTP/1.1`, `Host: ${APP_HOST}`, `${TAG_HEADER}: ${tag}`, ...lines, 'Connection: close', '', ''].join('\r\n');
      const response = await rawRequest(gw.port, text);
      return { ...response, upstream: receivedWithTag(echo, tag) };
    },
  };
}

export function receivedWithTag(echo: EchoUpstream, tag: string): EchoRequest | undefined {
  return echo.received.find((seen) => seen.headers[TAG_HEADER] === tag);
}

/** Every field line of a response header (undici gives repeated ones as an array). */
export function lines(headers: IncomingHttpHeaders, name: string): string[] {
  const value = headers[name.toLowerCase()];
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

export function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

export function bearer(token: string): string {
  return `Bearer ${token}`;
}

export interface TokenResponse {
  readonly access_token: string;
  readonly id_token?: string;
  readonly refresh_token?: string;
  readonly expires_in: number;
}

interface Endpoints {
  readonly token_endpoint: string;
  readonly revocation_endpoint: string;
  readonly introspection_endpoint: string;
  readonly jwks_uri: string;
}

const discovered = new WeakMap<DevIdp, Promise<Endpoints>>();

/** The IdP's endpoints from its discovery document (fetched once per IdP). */
export function endpointsOf(idp: DevIdp): Promise<Endpoints> {
  let endpoints = discovered.get(idp);
  if (endpoints === undefined) {
    endpoints = fetch(`${idp.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`).then((res) => res.json() as Promise<Endpoints>);
    discovered.set(idp, endpoints);
  }
  return endpoints;
}

function clientAuthorization(client: { readonly id: string; readonly secret: string }): string {
  return basic(client.id, client.secret);
}

/**
 * Tokens for a user straight from the IdP's token endpoint: authentik's client_credentials
 * with username + app password (or `grant: 'password'`). Counts as one `token` call.
 */
export async function issueTokens(
  idp: DevIdp,
  options: { username: string; password: string; client?: { id: string; secret: string }; grant?: 'client_credentials' | 'password'; scope?: string },
): Promise<TokenResponse> {
  const { token_endpoint } = await endpointsOf(idp);
  const body = new URLSearchParams({
    grant_type: options.grant ?? 'client_credentials',
    username: options.username,
    password: options.password,
    scope: options.scope ?? SCOPE,
  });
  const res = await fetch(token_endpoint, { method: 'POST', body, headers: { authorization: clientAuthorization(options.client ?? CLIENTS.portcullis) } });
  if (res.status !== 200) {
    throw new Error(`the token endpoint answered ${res.status}: ${await res.text()}`);
  }
  return (await res.json()) as TokenResponse;
}

/** An access token of `username` for the `portcullis` client, with the user's first app password. */
export async function accessTokenFor(idp: DevIdp, username: keyof typeof PASSWORDS, client?: { id: string; secret: string }): Promise<string> {
  const { access_token } = await issueTokens(idp, { username, password: PASSWORDS[username].cli, ...(client ? { client } : {}) });
  return access_token;
}

/** RFC 7009 revocation at the IdP, as the `portcullis` client. */
export async function revokeAtIdp(idp: DevIdp, token: string): Promise<void> {
  const { revocation_endpoint } = await endpointsOf(idp);
  const res = await fetch(revocation_endpoint, {
    method: 'POST',
    body: new URLSearchParams({ token }),
    headers: { authorization: clientAuthorization(CLIENTS.portcullis) },
  });
  if (res.status !== 200) {
    throw new Error(`the revocation endpoint answered ${res.status}: ${await res.text()}`);
  }
}

/** The claims of a JWT's payload, unverified (for assertions on what the upstream got). */
export function jwtPayload(token: string): Record<string, unknown> {
  const [, payload = ''] = token.split('.');
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs `count` calls of `send`, `batch` at a time, and returns every result. */
export async function inBatches<T>(count: number, batch: number, send: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let start = 0; start < count; start += batch) {
    const size = Math.min(batch, count - start);
    results.push(...(await Promise.all(Array.from({ length: size }, (_, i) => send(start + i)))));
  }
  return results;
}
