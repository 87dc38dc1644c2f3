import { randomBytes, randomUUID } from 'node:crypto';

import { ValidationError } from '../../errors/index.js';
import type { DevClient, JsonObject } from '../types.js';
import { join, Problems } from '../users/checks.js';
import { readOutpostProvider } from '../users/outpost.js';
import { answerApiCall } from './api.js';
import type { ApiAnswer, ApiRequest, ApiSource } from './api.js';
import { ProviderCatalogue } from './catalogue.js';
import { OutpostEvents } from './events.js';
import { KeypairProblem, KeypairStore } from './keypairs.js';
import type { Keypair } from './keypairs.js';
import { OutpostRecorder } from './records.js';
import { outpostInstance, proxyOutpostConfig } from './shapes.js';
import { OutpostToken } from './token.js';
import type { TokenVerdict } from './token.js';
import type { DevOutpostProvider, DevOutpostProviderPatch, DevOutpostSettings } from './types.js';

export interface OutpostServiceDeps {
  readonly settings: DevOutpostSettings;
  /** The IdP's base URL: `config.authentik_host`. */
  readonly authentikHost: string;
  /** `oidc_configuration`, shared by every provider (the dev IdP has one issuer). */
  readonly oidcConfiguration: JsonObject;
  readonly clients: ReadonlyMap<string, DevClient>;
  readonly keypairs: KeypairStore;
  readonly log: (line: string) => void;
}

/** The mimic outpost's state and the two surfaces over it: the API (`ApiSource`) and the websocket. */
export class OutpostService implements ApiSource {
  /** `Outpost.pk`, fixed for the IdP's lifetime. */
  readonly pk = randomUUID();
  readonly settings: DevOutpostSettings;
  readonly authentikHost: string;
  readonly token: OutpostToken;
  readonly recorder = new OutpostRecorder();
  readonly catalogue: ProviderCatalogue;
  readonly events: OutpostEvents;
  readonly #deps: OutpostServiceDeps;

  constructor(deps: OutpostServiceDeps) {
    this.#deps = deps;
    this.settings = deps.settings;
    this.authentikHost = deps.authentikHost;
    this.token = new OutpostToken(deps.settings.token);
    // authentik's cookie secrets are 40 random characters.
    this.catalogue = new ProviderCatalogue(deps.settings.providers, () => randomBytes(30).toString('base64url'));
    this.events = new OutpostEvents({ outpostPk: this.pk, token: this.token, recorder: this.recorder, log: deps.log });
  }

  answer(request: ApiRequest): { readonly answer: ApiAnswer; readonly tokenOk: boolean } {
    return answerApiCall(request, this);
  }

  judgeToken(authorization: string | undefined): TokenVerdict {
    return this.token.judge(authorization);
  }

  instance(): JsonObject {
    const identity = { pk: this.pk, settings: this.settings, authentikHost: this.authentikHost };
    return outpostInstance(identity, this.catalogue.list().map((p) => p.pk));
  }

  proxyConfigs(): readonly JsonObject[] {
    const byName = this.catalogue.list().sort((a, b) => compareNames(a.name, b.name));
    return byName.map((provider) =>
      proxyOutpostConfig(provider, {
        client: this.#client(provider),
        oidcConfiguration: this.#deps.oidcConfiguration,
        cookieSecret: this.catalogue.cookieSecret(provider.pk),
        keypairPk: this.keypairOf(provider)?.pk ?? null,
        rawPatch: this.catalogue.rawPatch(provider.pk),
      }),
    );
  }

  keypair(pk: string): Keypair | undefined {
    return this.#deps.keypairs.get(pk);
  }

  keypairOf(provider: DevOutpostProvider): Keypair | undefined {
    return provider.certificateFile === '' ? undefined : this.#deps.keypairs.forFiles(provider.certificateFile, provider.keyFile);
  }

  /** Validates the patched provider like the users file; throws ValidationError (PCL_USERS_INVALID). */
  async setProvider(pk: number, patch: DevOutpostProviderPatch): Promise<void> {
    const path = `providers[pk=${pk}]`;
    const problems = new Problems();
    const defined = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
    const merged = { ...this.catalogue.get(pk), ...defined, pk };
    const provider = readOutpostProvider(merged, path, { clients: new Set(this.#deps.clients.keys()) }, problems);
    for (const other of this.catalogue.list()) {
      if (other.pk === pk) continue;
      if (other.name === provider.name) problems.add(join(path, 'name'), `duplicate provider name "${provider.name}" (provider ${other.pk})`);
      if (other.slug === provider.slug) problems.add(join(path, 'slug'), `duplicate application slug "${provider.slug}" (provider ${other.pk})`);
    }
    if (problems.list.length === 0) await loadProviderKeypair(this.#deps.keypairs, provider, path, problems);
    if (problems.list.length > 0) throw new ValidationError('PCL_USERS_INVALID', `setProvider(${pk})`, problems.list);
    this.catalogue.put(provider);
  }

  close(): void {
    this.events.close();
  }

  #client(provider: DevOutpostProvider): DevClient {
    const client = this.#deps.clients.get(provider.client);
    // Validation guarantees the client exists; reaching this is a bug in the IdP.
    if (client === undefined) throw new Error(`provider ${provider.pk} names unknown client "${provider.client}"`);
    return client;
  }
}

/** Loads every provider's PEM pair before the IdP listens, so a bad file fails start-up naming its key. */
export async function loadOutpostKeypairs(settings: DevOutpostSettings, source: string): Promise<KeypairStore> {
  const store = new KeypairStore();
  const problems = new Problems();
  for (const [i, provider] of settings.providers.entries()) {
    await loadProviderKeypair(store, provider, `outpost.providers[${i}]`, problems);
  }
  if (problems.list.length > 0) throw new ValidationError('PCL_USERS_INVALID', source, problems.list);
  return store;
}

async function loadProviderKeypair(store: KeypairStore, provider: DevOutpostProvider, path: string, problems: Problems): Promise<void> {
  if (provider.certificateFile === '') return;
  try {
    await store.load(provider.certificateFile, provider.keyFile);
  } catch (err) {
    if (!(err instanceof KeypairProblem)) throw err;
    problems.add(join(path, err.file), err.message);
  }
}

/** Code-point order, like PostgreSQL's C collation; locale rules would make the order machine-dependent. */
function compareNames(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}
