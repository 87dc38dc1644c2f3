/**
 * The identity providers of all applications, one per (issuer, client) pair, the background
 * discovery that makes `/readyz` report ready once every one of them answered, and the IdP
 * health readiness follows afterwards: after `UNHEALTHY_AFTER` failed calls in a row the
 * directory is unhealthy and probes the discovery document until an IdP answers again (a
 * replica taken out of rotation gets no traffic that could show the IdP is back).
 */

import type { ApplicationConfig, IdentityConfig } from '../config/index.js';
import { KeySets } from './key-sets.js';
import { observedFetch, type IdpCallObserver, type IdpEndpoint } from './observed-fetch.js';
import { IdentityProvider } from './provider.js';
import { messageOf } from '../errors/index.js';

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
  /** How often an unhealthy directory probes the IdPs' discovery documents; default 2 s. */
  readonly probeMs?: number;
}

const UNHEALTHY_AFTER = 3;

export class IdpDirectory {
  readonly #byApplication = new Map<string, IdentityProvider>();
  readonly #providers: IdentityProvider[] = [];
  readonly #options: IdpDirectoryOptions;
  /** One key cache per `jwks_uri`, for every provider here. */
  readonly keySets: KeySets;
  readonly #timers = new Set<NodeJS.Timeout>();
  #closed = false;
  #failuresInARow = 0;
  #probe: NodeJS.Timeout | null = null;

  constructor(options: IdpDirectoryOptions) {
    this.#options = options;
    const observer: IdpCallObserver = {
      record: (endpoint: IdpEndpoint, ok: boolean, seconds: number) => {
        options.observer?.record(endpoint, ok, seconds);
        this.#recordHealth(ok);
      },
    };
    this.keySets = new KeySets({
      timeoutMs: options.timeoutMs,
      cooldownMs: options.jwksCooldownMs,
      maxAgeMs: options.jwksMaxAgeMs,
      fetch: observedFetch(observer, () => 'jwks'),
      onRefreshError: (url, error) =>
        options.log.warn({ jwksUri: url, err: messageOf(error) }, 'JWKS fetch failed; keeping the last good keys'),
    });
    const byKey = new Map<string, IdentityProvider>();
    for (const app of options.applications) {
      const key = registrationKey(app.identity);
      let provider = byKey.get(key);
      if (provider === undefined) {
        provider = new IdentityProvider({
          identity: app.identity,
          timeoutMs: options.timeoutMs,
          keySets: this.keySets,
          observer,
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

  /** Every IdP was discovered, and the last calls to them did not all fail. */
  isReady(): boolean {
    return this.#failuresInARow < UNHEALTHY_AFTER && this.#providers.every((provider) => provider.discovered);
  }

  #recordHealth(ok: boolean): void {
    if (ok) {
      this.#failuresInARow = 0;
      if (this.#probe !== null) {
        clearInterval(this.#probe);
        this.#probe = null;
        this.#options.log.info({}, 'identity provider answering again');
      }
      return;
    }
    this.#failuresInARow += 1;
    if (this.#failuresInARow >= UNHEALTHY_AFTER && this.#probe === null && !this.#closed) {
      this.#options.log.warn({ failuresInARow: this.#failuresInARow }, 'identity provider failing; readiness reports not ready until it answers');
      this.#probe = setInterval(() => this.#probeOnce(), this.#options.probeMs ?? 2_000);
      this.#probe.unref();
    }
  }

  #probeOnce(): void {
    for (const provider of this.#providers) {
      const url = `${provider.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
      provider.fetch(url, { signal: AbortSignal.timeout(this.#options.timeoutMs) }).then(
        (response) => response.body?.cancel(),
        () => undefined,
      );
    }
  }

  /** Starts discovery of every provider in the background, retrying with back-off. */
  startDiscovery(): void {
    for (const provider of this.#providers) {
      this.#attempt(provider, this.#options.retryMs ?? 500);
    }
  }

  close(): void {
    this.#closed = true;
    if (this.#probe !== null) {
      clearInterval(this.#probe);
      this.#probe = null;
    }
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
      () => this.#options.log.info({ issuer: provider.issuer, clientAuth: provider.clientAuthMethod }, 'identity provider discovered'),
      (error: unknown) => {
        this.#options.log.warn(
          { issuer: provider.issuer, err: messageOf(error), retryInMs: delayMs },
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

/**
 * Applications share a provider (one discovery, one set of client credentials) when they are the
 * same client with the same ways of authenticating and of reading identities: the provider also
 * decides, from `claims` and `userinfo`, whether a login needs UserInfo.
 */
function registrationKey(identity: IdentityConfig): string {
  const { issuer, clientId, clientSecret, clientAuth, clientKeyFile, clientKeyId, userinfo, claims, metadata, tlsVerify, allowInsecureHttp } = identity;
  // Everything that changes how this registration talks to its IdP: one application's relaxed
  // TLS or plain-http opt-in must never carry over to another's.
  return JSON.stringify([issuer, clientId, clientSecret, clientAuth, clientKeyFile, clientKeyId, userinfo, claims, metadata, tlsVerify, allowInsecureHttp]);
}
