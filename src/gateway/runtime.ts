/**
 * What a SIGHUP can replace in a running gateway: the applications as prepared from the
 * configuration, with their identity providers, policies, credential cache and host router.
 * Listeners, `trustedProxies`, sessions, limits, timeouts and `secret` are built into the
 * server and the store, so changes to them wait for a restart.
 */

import type { CredentialCache } from '../auth/index.js';
import type { Config } from '../config/index.js';
import { formatProblems, ValidationError } from '../errors/index.js';
import { IdpDirectory, type IdpCallObserver } from '../idp/index.js';
import type { Logger } from '../observability/index.js';
import { PolicyWatcher } from '../policy/index.js';
import type { SessionStore } from '../sessions/index.js';
import type { PreparedApplication } from './application.js';
import { createHostRouter, type HostRouter } from './host-router.js';
import { wireApplications } from './wiring.js';

export interface Runtime {
  readonly config: Config;
  readonly idps: IdpDirectory;
  readonly policies: PolicyWatcher;
  readonly applications: readonly PreparedApplication[];
  readonly credentials: CredentialCache;
  readonly router: HostRouter;
}

export interface RuntimeDeps {
  readonly sessions: SessionStore;
  readonly logger: Logger;
  readonly idpObserver: IdpCallObserver;
}

/** Builds every per-application part; rejects (building nothing lasting) when policies do not validate. */
export async function buildRuntime(config: Config, { sessions, logger, idpObserver }: RuntimeDeps): Promise<Runtime> {
  const policies = await PolicyWatcher.start({
    dir: config.policiesDir,
    applications: config.applications,
    source: config.source,
    onReload: (names) => logger.info({ policies: [...names] }, 'policies reloaded'),
    onError: (error) =>
      logger.error({ problems: error instanceof ValidationError ? formatProblems(error.problems) : error.message }, 'policy change refused; keeping the last good policies'),
  });
  const idps = new IdpDirectory({
    applications: config.applications,
    timeoutMs: config.timeouts.idpMs,
    jwksCooldownMs: config.cache.jwksCooldownMs,
    jwksMaxAgeMs: config.cache.jwksMaxAgeMs,
    log: logger,
    observer: idpObserver,
  });
  const { applications, credentials } = wireApplications({ config, idps, sessions, policies, logger });
  return { config, idps, policies, applications, credentials, router: createHostRouter(applications) };
}

export function closeRuntime(runtime: Runtime): void {
  runtime.idps.close();
  runtime.policies.close();
}

const RESTART_ONLY = ['listen', 'metricsListen', 'tlsListen', 'workers', 'secret', 'trustedProxies', 'sessions', 'limits', 'timeouts'] as const;

/** The top-level keys whose change only a restart applies. */
export function restartOnlyChanges(running: Config, next: Config): string[] {
  return RESTART_ONLY.filter((key) => JSON.stringify(running[key]) !== JSON.stringify(next[key]));
}

/** `next` with the restart-only keys of the running configuration, so the two never mix. */
export function reloadable(running: Config, next: Config): Config {
  const kept = Object.fromEntries(RESTART_ONLY.map((key) => [key, running[key]]));
  return { ...next, ...kept } as Config;
}
