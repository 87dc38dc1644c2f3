/**
 * authentik as a configuration source, the way authentik's own outposts follow it: fetch the
 * outpost and its providers (every 3 s until the API first answers), then again on every
 * `refresh_interval_s`, on a trigger from the websocket (after a random 0–9 s, so replicas do
 * not all ask at once) and on `refresh()` (SIGUSR1). Each answer becomes one validated
 * `Config`, handed to `apply`; the gateway never learns where it came from. While the API is
 * down the last configuration keeps serving.
 */

import { randomUUID, X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { hostname } from 'node:os';
import type { ConfigDocument } from '../config/index.js';
import { isPortcullisError, messageOf } from '../errors/index.js';
import { AuthentikApi } from './api-client.js';
import type { CertificateKeypair, Outpost, ProxyOutpostConfig } from './api-types.js';
import { assembleConfig, type Assembled } from './assemble.js';
import { OutpostEvents } from './events.js';
import { OutpostMetrics } from './metrics.js';
import type { AuthentikSettings } from './settings.js';

export interface SourceLog {
  info(details: Record<string, unknown>, message: string): void;
  warn(details: Record<string, unknown>, message: string): void;
  error(details: Record<string, unknown>, message: string): void;
}

export interface AuthentikSourceOptions {
  readonly settings: AuthentikSettings;
  readonly local: ConfigDocument | null;
  readonly log: SourceLog;
  /** Takes a new configuration into use (the gateway's reload). */
  readonly apply: (assembled: Assembled) => Promise<void>;
  /** Ends the sessions of an IdP session authentik ended; resolves with how many ended. */
  readonly endSessions: (sessionId: string) => Promise<number>;
  readonly metrics: OutpostMetrics;
  /** Delay between start-up attempts while the API does not answer; default 3 s. */
  readonly retryMs?: number;
  /** Upper bound of the random delay before a triggered refresh; default 9 s. */
  readonly triggerJitterMs?: number;
  readonly random?: () => number;
  /** A source that replaces another (SIGHUP) starts as ready as that one was. */
  readonly configured?: boolean;
  readonly instanceUuid?: string;
  readonly buildHash?: string;
  readonly helloIntervalMs?: number;
}

const RETRY_MS = 3_000;
const TRIGGER_JITTER_MS = 9_000;

export class AuthentikSource {
  readonly instanceUuid: string;
  readonly #options: AuthentikSourceOptions;
  readonly #api: AuthentikApi;
  readonly #triggerDelayMs: number;
  #outpost: Outpost | null = null;
  #events: OutpostEvents | null = null;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<boolean> | null = null;
  #again = false;
  #configured: boolean;
  #closed = false;
  /** The configuration last applied, as JSON: an identical one is not applied again. */
  #applied: string | null = null;
  readonly #triggers = new Set<NodeJS.Timeout>();

  constructor(options: AuthentikSourceOptions) {
    this.#options = options;
    this.#configured = options.configured ?? false;
    this.#api = new AuthentikApi(options.settings);
    this.instanceUuid = options.instanceUuid ?? randomUUID();
    // authentik's outposts pick their delay once per process: replicas spread, each stays regular.
    this.#triggerDelayMs = Math.floor((options.random ?? Math.random)() * ((options.triggerJitterMs ?? TRIGGER_JITTER_MS) / 1000 + 1)) * 1000;
  }

  /** A configuration from the API is in use. */
  get configured(): boolean {
    return this.#configured;
  }

  /** Starts fetching in the background; retries every 3 s until the API first answers. */
  start(): void {
    void this.#startUp();
  }

  /** Fetches now (SIGUSR1); concurrent calls share one fetch, and one more follows if asked meanwhile. */
  refresh(): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    if (this.#running !== null) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#fetchAndApply().finally(() => {
      this.#running = null;
      if (this.#again && !this.#closed) {
        this.#again = false;
        void this.refresh();
      }
    });
    return this.#running;
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    for (const timer of this.#triggers) clearTimeout(timer);
    this.#triggers.clear();
    this.#events?.close();
    await this.#api.close();
  }

  async #startUp(): Promise<void> {
    while (!this.#closed && !(await this.refresh())) {
      await new Promise((resolve) => setTimeout(resolve, this.#options.retryMs ?? RETRY_MS).unref());
    }
  }

  async #fetchAndApply(): Promise<boolean> {
    const { log } = this.#options;
    let outpost: Outpost;
    let assembled: Assembled;
    try {
      outpost = await this.#api.outpost();
      const providers = await this.#api.proxyProviders();
      const keypairs = await this.#keypairsOf(providers);
      assembled = assembleConfig({ settings: this.#options.settings, local: this.#options.local, outpost, providers, keypairs });
    } catch (error) {
      this.#reportFailure(error);
      if (this.#outpost !== null) this.#schedule(this.#outpost);
      return false;
    }
    for (const skipped of assembled.skipped) {
      log.error({ pk: skipped.pk, name: skipped.name, field: skipped.field, problem: skipped.problem }, 'authentik provider skipped: a field does not validate');
    }
    if (this.#closed) return false;
    // An unchanged configuration is not applied again: a reload would start the caches cold.
    const fingerprint = JSON.stringify(assembled.config);
    if (fingerprint !== this.#applied) {
      try {
        await this.#options.apply(assembled);
      } catch (error) {
        log.error({ err: messageOf(error) }, 'configuration from authentik refused; keeping the last one');
        this.#schedule(outpost);
        return false;
      }
      this.#applied = fingerprint;
      log.info({ outpost: outpost.name, providers: assembled.config.applications.map((app) => app.name), skipped: assembled.skipped.length }, 'configuration from authentik applied');
    }
    this.#configured = true;
    this.#options.metrics.updated(outpost.name, this.instanceUuid);
    try {
      this.#adopt(outpost);
    } catch (error) {
      // Never a crash over the websocket: the interval and SIGUSR1 still follow authentik.
      log.error({ err: messageOf(error) }, 'the websocket to authentik could not be opened');
      this.#schedule(outpost);
    }
    return true;
  }

  /**
   * Each keypair the providers name, fetched on every refresh (a renewed certificate keeps its
   * id). One that cannot be fetched is logged; its host is then served without it.
   */
  async #keypairsOf(providers: readonly ProxyOutpostConfig[]): Promise<Map<string, CertificateKeypair>> {
    const ids = new Set(providers.map((p) => p.certificate).filter((id): id is string => typeof id === 'string' && id !== ''));
    const keypairs = new Map<string, CertificateKeypair>();
    await Promise.all(
      [...ids].map(async (id) => {
        let problem: string | null;
        let keypair: CertificateKeypair | null = null;
        try {
          keypair = await this.#api.certificate(id);
          problem = keypairProblem(keypair);
        } catch (error) {
          if (isPortcullisError(error, 'PCL_AUTHENTIK_UNAVAILABLE')) throw error;
          problem = messageOf(error);
        }
        if (keypair !== null && problem === null) {
          keypairs.set(id, keypair);
          return;
        }
        // One bad keypair costs its hosts their certificate, never the whole configuration.
        const users = providers.filter((p) => p.certificate === id).map((p) => ({ pk: p.pk ?? '?', name: typeof p.name === 'string' ? p.name : '?' }));
        this.#options.log.error({ keypair: id, providers: users, field: 'certificate', problem }, 'a provider\'s certificate cannot be used; its host is served without it');
      }),
    );
    return keypairs;
  }

  /** The next timed fetch; a failed one re-arms it too, so the interval never stops. */
  #schedule(outpost: Outpost): void {
    if (this.#closed) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.refresh(), outpost.refreshIntervalS * 1000);
    this.#timer.unref();
  }

  #reportFailure(error: unknown): void {
    const { log } = this.#options;
    const err = messageOf(error);
    const retry = this.#configured ? 'keeping the last configuration' : `retrying in ${(this.#options.retryMs ?? RETRY_MS) / 1000} s`;
    if (isPortcullisError(error, 'PCL_AUTHENTIK_REFUSED')) {
      log.error({ err }, `authentik refused the outpost token (AUTHENTIK_TOKEN); ${retry}`);
    } else if (isPortcullisError(error, 'PCL_AUTHENTIK_UNAVAILABLE')) {
      log.warn({ err }, `authentik's API could not be reached; ${retry}`);
    } else {
      log.error({ err }, `authentik's API answered unexpectedly; ${retry}`);
    }
  }

  /** The websocket and the interval follow the outpost as the API last described it. */
  #adopt(outpost: Outpost): void {
    const previous = this.#outpost;
    this.#outpost = outpost;
    if (this.#events === null || previous?.pk !== outpost.pk) {
      this.#events?.close();
      this.#events = this.#openEvents(outpost);
    }
    this.#schedule(outpost);
  }

  #openEvents(outpost: Outpost): OutpostEvents {
    const { log, metrics } = this.#options;
    const events = new OutpostEvents({
      settings: this.#options.settings,
      outpostPk: outpost.pk,
      instanceUuid: this.instanceUuid,
      hostname: hostname(),
      buildHash: this.#options.buildHash ?? '',
      ...(this.#options.helloIntervalMs === undefined ? {} : { helloIntervalMs: this.#options.helloIntervalMs }),
      log,
      onConnectionChange: (connected) => metrics.connection(outpost.name, this.instanceUuid, connected),
      onTriggerUpdate: () => {
        log.info({ inMs: this.#triggerDelayMs }, 'authentik asked for a configuration update');
        const timer = setTimeout(() => {
          this.#triggers.delete(timer);
          void this.refresh();
        }, this.#triggerDelayMs);
        timer.unref();
        this.#triggers.add(timer);
      },
      onSessionEnd: (sessionId) => {
        this.#options.endSessions(sessionId).then(
          (ended) => log.info({ ended }, 'authentik ended a session'),
          (error: unknown) => log.error({ err: messageOf(error) }, 'sessions of an ended authentik session could not be deleted'),
        );
      },
    });
    events.start();
    return events;
  }
}

/** Why a keypair cannot serve TLS (unreadable PEM, a key that is not the certificate's), or null. */
function keypairProblem(keypair: CertificateKeypair): string | null {
  try {
    new X509Certificate(keypair.certificate);
    createSecureContext({ cert: keypair.certificate, key: keypair.privateKey });
    return null;
  } catch (error) {
    // The first line only: never any of the PEM.
    return error instanceof Error ? (error.message.split('\n')[0] ?? 'unusable') : 'unusable';
  }
}
