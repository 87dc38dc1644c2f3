import type { DevOutpostProvider, DevOutpostRawPatch } from './types.js';

/**
 * The outpost's providers as tests change them at runtime, with what the IdP invents per
 * provider (the cookie secret) and the raw JSON patches tests inject. The users file stays
 * immutable; this is the only mutable copy.
 */
export class ProviderCatalogue {
  readonly #providers = new Map<number, DevOutpostProvider>();
  readonly #rawPatches = new Map<number, DevOutpostRawPatch>();
  readonly #cookieSecrets = new Map<number, string>();
  readonly #newSecret: () => string;

  constructor(providers: readonly DevOutpostProvider[], newSecret: () => string) {
    for (const provider of providers) this.#providers.set(provider.pk, provider);
    this.#newSecret = newSecret;
  }

  /** Ordered by pk. */
  list(): DevOutpostProvider[] {
    return [...this.#providers.values()].sort((a, b) => a.pk - b.pk);
  }

  get(pk: number): DevOutpostProvider | undefined {
    return this.#providers.get(pk);
  }

  put(provider: DevOutpostProvider): void {
    this.#providers.set(provider.pk, provider);
  }

  /** Also forgets the raw patches; false when there was no such provider. */
  remove(pk: number): boolean {
    this.#rawPatches.delete(pk);
    return this.#providers.delete(pk);
  }

  addRawPatch(pk: number, patch: DevOutpostRawPatch): void {
    this.#rawPatches.set(pk, { ...this.#rawPatches.get(pk), ...patch });
  }

  rawPatch(pk: number): DevOutpostRawPatch {
    return this.#rawPatches.get(pk) ?? {};
  }

  /** Random per pk and stable for the IdP's lifetime, like the secret authentik generates once per provider. */
  cookieSecret(pk: number): string {
    let secret = this.#cookieSecrets.get(pk);
    if (secret === undefined) {
      secret = this.#newSecret();
      this.#cookieSecrets.set(pk, secret);
    }
    return secret;
  }
}
