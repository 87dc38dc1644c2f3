import type { Server } from 'node:http';

import type { FaultBoard } from '../http/faults.js';
import type { DevClient } from '../types.js';
import type { KeypairStore } from './keypairs.js';
import { OutpostService } from './service.js';
import { oidcConfiguration } from './shapes.js';
import type { DevOutpostSettings } from './types.js';

export interface OutpostStartDeps {
  readonly settings: DevOutpostSettings;
  readonly server: Server;
  /** The listener's base URL. */
  readonly url: string;
  /** The discovery document on the listener (not via the issuer, which may name a proxy in front of it). */
  readonly discoveryUrl: string;
  readonly clients: ReadonlyMap<string, DevClient>;
  readonly keypairs: KeypairStore;
  readonly faults: FaultBoard;
  readonly log: (line: string) => void;
}

/**
 * Starts the mimic outpost on the IdP's listener, once the IdP answers: `oidc_configuration`
 * comes from the IdP's own discovery document, read once over HTTP (that request is not counted).
 */
export async function startOutpost(deps: OutpostStartDeps): Promise<OutpostService> {
  const discovery = await readDiscovery(deps.discoveryUrl);
  deps.faults.resetCalls();
  const service = new OutpostService({
    settings: deps.settings,
    authentikHost: deps.url,
    oidcConfiguration: oidcConfiguration(discovery),
    clients: deps.clients,
    keypairs: deps.keypairs,
    log: deps.log,
  });
  deps.server.on('upgrade', (req, socket, head: Buffer) => service.events.handleUpgrade(req, socket, head));
  deps.log(`mimic authentik outpost "${deps.settings.name}" (${service.pk}) at ${deps.url}/api/v3/`);
  return service;
}

async function readDiscovery(url: string): Promise<Record<string, unknown>> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`the IdP's own discovery document answered ${response.status}`);
  return (await response.json()) as Record<string, unknown>;
}
