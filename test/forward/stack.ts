/**
 * The real parts of a forward-auth test: the development IdP (its `portcullis` client knowing
 * the callback of every application), the echo upstream, and a gateway whose applications
 * are given as YAML, with an optional policies folder.
 */

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEchoUpstream, type EchoRequest, type EchoUpstream } from '../../src/demo/echo-upstream.js';
import { loadUsersFile, startDevIdp, type DevIdp } from '../../src/devidp/index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';

export const USERS_FILE = fileURLToPath(new URL('../support/users.yaml', import.meta.url));
export const CALLBACK = '/outpost.goauthentik.io/callback?X-authentik-auth-callback=true';
/** An issuer nothing listens on: every IdP call fails (an outage). */
export const UNREACHABLE_ISSUER = 'http://127.0.0.1:9/unreachable';

export const ALICE = { username: 'alice', password: 'alice-password' } as const;
export const BOB = { username: 'bob', password: 'bob-password' } as const;
export const APP_PASSWORDS = { alice: 'alice-app-password', bob: 'bob-app-password' } as const;

/** Denies everyone outside the `admins` group (alice is in it, bob is not). */
export const ADMINS_ONLY_POLICY = 'name: admins-only\nkind: group\ngroups: [admins]\n';

export interface ForwardStack {
  readonly idp: DevIdp;
  readonly echo: EchoUpstream;
  readonly gw: RunningGateway;
  /** `host:port` of the gateway. */
  readonly portcullis: string;
  /** `host:port` of the echo upstream. */
  readonly upstream: string;
  close(): Promise<void>;
}

export interface ForwardStackOptions {
  /** The YAML list items under `applications:` (unindented, starting with `- name:`); given the echo upstream's URL. */
  readonly applications: string | ((upstream: string) => string);
  /** Every externalHost whose callback the IdP must accept. */
  readonly externalHosts: readonly string[];
  /** Policy files by name, written to the gateway's policiesDir. */
  readonly policies?: Readonly<Record<string, string>>;
}

export async function startForwardStack(options: ForwardStackOptions): Promise<ForwardStack> {
  const users = await loadUsersFile(USERS_FILE);
  const callbacks = options.externalHosts.map((host) => `${host}${CALLBACK}`);
  const clients = users.clients.map((c) => (c.id === 'portcullis' ? { ...c, redirectUris: [...c.redirectUris, ...callbacks] } : c));
  const policiesDir = await mkdtemp(join(tmpdir(), 'portcullis-forward-policies-'));
  for (const [name, text] of Object.entries(options.policies ?? {})) {
    await writeFile(join(policiesDir, name), text);
  }
  const idp = await startDevIdp({ users: { ...users, clients } });
  const echo = await startEchoUpstream();
  let gw: RunningGateway;
  try {
    gw = await startGateway(`
listen: "127.0.0.1:0"
metricsListen: ""
secret: "\${PORTCULLIS_SECRET}"
policiesDir: "${policiesDir}"
identity: { issuer: "${idp.issuer}", clientId: portcullis, clientSecret: portcullis-dev-secret }
applications:
${(typeof options.applications === 'string' ? options.applications : options.applications(echo.url)).replace(/^/gm, '  ')}
`);
  } catch (error) {
    await echo.close();
    await idp.close();
    throw error;
  }
  return {
    idp,
    echo,
    gw,
    portcullis: `127.0.0.1:${gw.port}`,
    upstream: `127.0.0.1:${echo.port}`,
    close: async () => {
      await gw.close();
      await echo.close();
      await idp.close();
      await rm(policiesDir, { recursive: true, force: true });
    },
  };
}

/** What the echo upstream answered with: the request it received. */
export function echoed(body: string): EchoRequest {
  return JSON.parse(body) as EchoRequest;
}

export function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

/** An access token for `username` from the IdP's token endpoint (authentik's client_credentials with an app password). */
export async function accessToken(idp: DevIdp, username: keyof typeof APP_PASSWORDS): Promise<string> {
  const discovery = (await (await fetch(`${idp.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`)).json()) as { token_endpoint: string };
  const res = await fetch(discovery.token_endpoint, {
    method: 'POST',
    headers: { authorization: basic('portcullis', 'portcullis-dev-secret') },
    body: new URLSearchParams({ grant_type: 'client_credentials', username, password: APP_PASSWORDS[username], scope: 'openid profile email ak_proxy' }),
  });
  if (res.status !== 200) throw new Error(`token endpoint answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}
