import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type Provider from 'oidc-provider';

import { ValidationError } from '../errors/index.js';
import { closeServer, devIdpHandle } from './handle.js';
import type { EndpointDeps } from './http/deps.js';
import { FaultBoard } from './http/faults.js';
import { createIdpServer } from './http/server.js';
import { urlHost } from './loopback.js';
import { ProviderStore } from './oidc/adapter.js';
import { KeyRing } from './oidc/keys.js';
import { TokenLedger } from './oidc/ledger.js';
import { buildProvider } from './oidc/provider.js';
import { DISCOVERY_PATH } from './oidc/routes.js';
import { resolveOptions } from './options.js';
import type { OutpostService } from './outpost/service.js';
import { loadOutpostKeypairs } from './outpost/service.js';
import { startOutpost } from './outpost/start.js';
import type { DevClientAuthMethod, DevIdp, DevIdpOptions, UsersFile } from './types.js';
import { UserDirectory } from './users/directory.js';
import { loadUsersFile } from './users/load.js';

/** Starts the IdP; resolves once it answers on its port. */
export async function startDevIdp(options: DevIdpOptions): Promise<DevIdp> {
  const resolved = resolveOptions(options);
  const { mountPath, log } = resolved;
  const source = typeof options.users === 'string' ? options.users : 'users';
  const file: UsersFile = typeof options.users === 'string' ? await loadUsersFile(options.users) : options.users;
  const keys = await KeyRing.create();
  const store = new ProviderStore();
  const ledger = new TokenLedger(store);
  const directory = new UserDirectory(file);
  const faults = new FaultBoard();
  const keypairs = file.outpost === undefined ? undefined : await loadOutpostKeypairs(file.outpost, source);

  // The issuer contains the port, so the Provider is built after listening; until then requests get 503.
  let endpoints: EndpointDeps | undefined;
  let outpost: OutpostService | undefined;
  const server = createIdpServer({ endpoints: () => endpoints, outpost: () => outpost, faults, log });
  const url = `http://${urlHost(resolved.host)}:${await listen(server, resolved.host, resolved.port)}`;
  try {
    const issuer = resolved.issuerFor(url);
    const cookieKeys = [randomBytes(32).toString('base64url')];
    const clientAuthMethods = withClientMethods(resolved.clientAuthMethods, file);
    const providerDeps = { issuer, mountPath, file, directory, keys, store, ledger, cookieKeys, ttl: resolved.ttl, leanIdTokens: resolved.leanIdTokens, clientAuthMethods };
    const build = () => observe(buildProvider(providerDeps), log);
    let provider = build();
    await checkClients(provider, file, source);
    const clients = new Map(file.clients.map((c) => [c.id, c]));
    endpoints = { issuer, mountPath, directory, keys, ledger, store, clients, clientAuthMethods, provider: () => provider };
    if (file.outpost !== undefined && keypairs !== undefined) {
      const discoveryUrl = `${url}${mountPath}${DISCOVERY_PATH}`;
      outpost = await startOutpost({ settings: file.outpost, server, url, discoveryUrl, clients, keypairs, faults, log });
    }
    log(`development IdP listening on ${url}, issuer ${issuer}`);
    return devIdpHandle({ issuer, url, server, keys, directory, faults, store, outpost, rebuildProvider: () => (provider = build()) });
  } catch (err) {
    await closeServer(server);
    throw err;
  }
}

/** The IdP's methods, plus those its clients are registered with (oidc-provider refuses a client whose method it lacks). */
function withClientMethods(methods: readonly DevClientAuthMethod[], file: UsersFile): readonly DevClientAuthMethod[] {
  return [...new Set([...methods, ...file.clients.map((c) => c.tokenEndpointAuthMethod ?? 'client_secret_basic')])];
}

/** oidc-provider validates static clients lazily; do it now so a bad client fails start-up, not a login. */
async function checkClients(provider: Provider, file: UsersFile, source: string): Promise<void> {
  const problems: { path: string; message: string }[] = [];
  for (const [i, client] of file.clients.entries()) {
    try {
      await provider.Client.find(client.id);
    } catch (err) {
      const detail = err as { error_description?: string; message?: string };
      problems.push({ path: `clients[${i}]`, message: detail.error_description ?? detail.message ?? String(err) });
    }
  }
  if (problems.length > 0) throw new ValidationError('PCL_USERS_INVALID', source, problems);
}

function observe(provider: Provider, log: (line: string) => void): Provider {
  provider.on('server_error', (_ctx: unknown, err: Error) => log(`oidc-provider server_error: ${err.stack ?? err.message}`));
  provider.on('backchannel.error', (_ctx: unknown, err: Error, client: { clientId: string }) =>
    log(`back-channel logout to ${client.clientId} failed: ${err.message}`),
  );
  provider.on('backchannel.success', (_ctx: unknown, client: { clientId: string }) => log(`back-channel logout sent to ${client.clientId}`));
  return provider;
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
