/**
 * The identity providers of all applications, one per (issuer, client) pair, and the
 * background discovery that makes `/readyz` report ready once every one of them answered.
 */

import type { ApplicationConfig } from '../config/index.js';
import type { IdpCallObserver } from './observed-fetch.js';
import { IdentityProvider } from './provider.js';

export interface DiscoveryLog {
  warn(details: Record<string, unknown>, message: string): void;
  info(details: Record<string, unknown>, message: string): void;
}

export interface IdpDirectoryOptions {
  readonly applications: readonly ApplicationConfig[];
  readonly timeoutMs: number;
  readonly jwksCooldownMs: number;
  readonly jwksMaxAgeMs: number;
  readonly log: DiscoveryLog;
  readonly observer?: IdpCallObserver;
  /** Delay before retrying a failed discovery; doubles up to `maxRetryMs`. */
  readonly retryMs?: number;
  readonly maxRetryMs?: number;
}

export class IdpDirectory {
  readonly #byApplication = new Map<string, IdentityProvider>();
  readonly #providers: IdentityProvider[] = [];
  readonly #options: IdpDirectoryOptions;
  readonly #timers = new Set<NodeJS.Timeout>();
  #closed = false;

  constructor(options: IdpDirectoryOptions) {
    this.#options = options;
    const byKey = new Map<string, IdentityProvider>();
    for (const app of options.applications) {
      const key = JSON.stringify([app.identity.issuer, app.identity.clientId, app.identity.clientSecret]);
      let provider = byKey.get(key);
      if (provider === undefined) {
        provider = new IdentityProvider({
          identity: app.identity,
          timeoutMs: options.timeoutMs,
          jwksCooldownMs: options.jwksCooldownMs,
          jwksMaxAgeMs: options.jwksMaxAgeMs,
          ...(options.observer === undefined ? {} : { observer: options.observer }),
          onJwksError: (error) =>
            options.log.warn({ issuer: app.identity.issuer, err: error instanceof Error ? error.message : String(error) }, 'JWKS refresh failed; keeping the last good keys'),
        });
        byKey.set(key, provider);
        this.#providers.push(provider);
      }
      this.#byApplication.set(app.name, provider);
    }
  }

  forApplication(name: string): IdentityProvider {
    const provider = this.#byApplication.get(name);
    if (provider === undefined) {
      throw new Error(`no identity provider for application ${name}`);
    }
    return provider;
  }

  isReady(): boolean {
    return this.#providers.every((provider) => provider.discovered);
  }

  /** Starts discovery of every provider in the background, retrying with back-off. */
  startDiscovery(): void {
    for (const provider of this.#providers) {
      this.#attempt(provider, this.#options.retryMs ?? 500);
    }
  }

  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) {
      clearTimeout(timer);
    }
    this.#timers.clear();
  }

  #attempt(provider: IdentityProvider, delayMs: number): void {
    if (this.#closed) {
      return;
    }
    provider.configuration().then(
      () => this.#options.log.info({ issuer: provider.issuer }, 'identity provider discovered'),
      (error: unknown) => {
        this.#options.log.warn(
          { issuer: provider.issuer, err: error instanceof Error ? error.message : String(error), retryInMs: delayMs },
          'identity provider discovery failed; retrying',
        );
        const timer = setTimeout(() => {
          this.#timers.delete(timer);
          this.#attempt(provider, Math.min(delayMs * 2, this.#options.maxRetryMs ?? 30_000));
        }, delayMs);
        timer.unref();
        this.#timers.add(timer);
      },
    );
  }
}
