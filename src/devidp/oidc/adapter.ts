import type { Adapter, AdapterPayload } from 'oidc-provider';

interface Entry {
  readonly payload: AdapterPayload;
  readonly expiresAt: number;
}

/**
 * The state oidc-provider persists (sessions, grants, codes, refresh tokens), held per IdP
 * instance rather than in oidc-provider's process-wide default store, so two IdPs in one test
 * process never share state and a Provider rebuilt by a key rotation keeps every session.
 */
export class ProviderStore {
  readonly #entries = new Map<string, Entry>();
  readonly #byGrant = new Map<string, Set<string>>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  adapterFor(model: string): Adapter {
    return new StoreAdapter(this, model);
  }

  get(key: string): AdapterPayload | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.delete(key);
      return undefined;
    }
    return entry.payload;
  }

  set(key: string, payload: AdapterPayload, expiresInSeconds: number): void {
    const ttl = expiresInSeconds > 0 ? expiresInSeconds * 1000 : Number.POSITIVE_INFINITY;
    this.#entries.set(key, { payload, expiresAt: this.#now() + ttl });
    if (payload.grantId !== undefined) {
      const keys = this.#byGrant.get(payload.grantId) ?? new Set<string>();
      keys.add(key);
      this.#byGrant.set(payload.grantId, keys);
    }
  }

  delete(key: string): void {
    const grantId = this.#entries.get(key)?.payload.grantId;
    this.#entries.delete(key);
    if (grantId !== undefined) this.#byGrant.get(grantId)?.delete(key);
  }

  /** Deletes the grant's records of one model (`AccessToken:`, `RefreshToken:`...). */
  deleteGrant(grantId: string, prefix: string): void {
    const keys = this.#byGrant.get(grantId);
    if (keys === undefined) return;
    for (const key of keys) {
      if (!key.startsWith(prefix)) continue;
      this.#entries.delete(key);
      keys.delete(key);
    }
    if (keys.size === 0) this.#byGrant.delete(grantId);
  }

  findWhere(prefix: string, match: (payload: AdapterPayload) => boolean): AdapterPayload | undefined {
    for (const key of this.#entries.keys()) {
      if (!key.startsWith(prefix)) continue;
      const payload = this.get(key);
      if (payload !== undefined && match(payload)) return payload;
    }
    return undefined;
  }

  /** Every live record of one model (`Session:`...) that matches, in insertion order. */
  filterWhere(prefix: string, match: (payload: AdapterPayload) => boolean): AdapterPayload[] {
    const found: AdapterPayload[] = [];
    // A copy: get() deletes expired entries while we iterate.
    for (const key of [...this.#entries.keys()]) {
      if (!key.startsWith(prefix)) continue;
      const payload = this.get(key);
      if (payload !== undefined && match(payload)) found.push(payload);
    }
    return found;
  }
}

class StoreAdapter implements Adapter {
  readonly #store: ProviderStore;
  readonly #model: string;

  constructor(store: ProviderStore, model: string) {
    this.#store = store;
    this.#model = model;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    this.#store.set(this.#key(id), payload, expiresIn);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return this.#store.get(this.#key(id));
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.#store.findWhere(`${this.#model}:`, (p) => p.uid === uid);
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.#store.findWhere(`${this.#model}:`, (p) => p.userCode === userCode);
  }

  async consume(id: string): Promise<void> {
    const payload = this.#store.get(this.#key(id));
    if (payload !== undefined) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id: string): Promise<void> {
    this.#store.delete(this.#key(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    this.#store.deleteGrant(grantId, `${this.#model}:`);
  }

  #key(id: string): string {
    return `${this.#model}:${id}`;
  }
}
