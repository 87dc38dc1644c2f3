/**
 * Assembles the gateway: one Fastify instance for traffic, one for health probes, the
 * identity-provider directory, and the order in which they start and drain.
 */

import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { CredentialCache } from '../auth/index.js';
import type { Config } from '../config/index.js';
import { IdpDirectory } from '../idp/index.js';
import type { Logger } from '../observability/index.js';
import { createSessionStore, observeStore, type SessionStore } from '../sessions/index.js';
import { createMetrics, type CacheCounters } from '../observability/index.js';
import { PolicyWatcher } from '../policy/index.js';
import { formatProblems, ValidationError } from '../errors/index.js';
import { installAccessLog } from './access-log.js';
import { installRouting } from './context.js';
import { frameworkErrors, installErrorHandling } from './error-handling.js';
import { createHealthServer } from './health.js';
import { createHostRouter } from './host-router.js';
import { EXTRA_METHODS, proxyMode } from './proxy-mode.js';
import { reservedEndpoints } from './reserved.js';
import { answerClientError, installRequestLimits, nodeServerOptions } from './request-limits.js';
import { compileTrust } from './trust.js';
import { wireApplications } from './wiring.js';

export interface GatewayOptions {
  readonly config: Config;
  readonly logger: Logger;
  /** A session store to use instead of the configured one (tests); the gateway closes it. */
  readonly sessionStore?: SessionStore;
}

export interface Gateway {
  /** Starts both listeners and IdP discovery; resolves with the bound URLs. */
  listen(): Promise<{ readonly gateway: string; readonly health: string | null }>;
  /** Stops accepting, lets in-flight requests finish (up to `timeouts.shutdown`), then closes. */
  close(): Promise<void>;
  readonly idps: IdpDirectory;
  readonly server: FastifyInstance;
  /** The header-credential cache, for its sizes (metrics, tests). */
  readonly credentials: CredentialCache;
  /** Re-reads the policy files now (SIGHUP); resolves false when they did not validate. */
  reloadPolicies(): Promise<boolean>;
}

export async function createGateway({ config, logger, sessionStore }: GatewayOptions): Promise<Gateway> {
  const trust = compileTrust(config.trustedProxies);
  let credentialCounters: CacheCounters = { hits: 0, misses: 0, size: 0 };
  const metrics = createMetrics({ cache: () => credentialCounters });
  const idps = new IdpDirectory({
    applications: config.applications,
    timeoutMs: config.timeouts.idpMs,
    jwksCooldownMs: config.cache.jwksCooldownMs,
    jwksMaxAgeMs: config.cache.jwksMaxAgeMs,
    log: logger,
    observer: {
      record: (endpoint, ok, seconds) => {
        metrics.idpRequests.inc({ endpoint, result: ok ? 'ok' : 'error' });
        metrics.idpDuration.observe({ endpoint }, seconds);
      },
    },
  });
  const sessions = observeStore(
    sessionStore ??
      createSessionStore(config.sessions, {
        secret: config.secret,
        onRedisError: (error) => logger.warn({ err: error.message }, 'session store connection error'),
      }),
    {
      record: (operation, ok, seconds) => {
        metrics.sessionStoreDuration.observe({ operation }, seconds);
        if (!ok) metrics.sessionStoreErrors.inc({ operation });
      },
    },
  );
  const policies = await PolicyWatcher.start({
    dir: config.policiesDir,
    applications: config.applications,
    source: config.source,
    onReload: (names) => logger.info({ policies: [...names] }, 'policies reloaded'),
    onError: (error) =>
      logger.error({ problems: error instanceof ValidationError ? formatProblems(error.problems) : error.message }, 'policy change refused; keeping the last good policies'),
  });
  const { applications, credentials } = wireApplications({ config, idps, sessions, policies, logger });
  credentialCounters = credentials;
  let draining = false;

  const server: FastifyInstance = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // One access-log line per request is written by access-log.ts instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: trust,
    // Connections idle between requests are closed at shutdown; busy ones finish first.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    routerOptions: { ignoreDuplicateSlashes: false, ignoreTrailingSlash: false },
    frameworkErrors,
    ...nodeServerOptions(config.limits, config.timeouts),
    clientErrorHandler: answerClientError,
  });
  installErrorHandling(server);
  // Before host routing, so an oversized request costs nothing and never reaches the IdP.
  installRequestLimits(server, config.limits);
  // While draining, every response closes its connection, so keep-alive clients let go and
  // `close()` does not wait for their idle timeout.
  server.addHook('onSend', async (_request, reply, payload) => {
    if (draining) {
      reply.header('connection', 'close');
    }
    return payload;
  });
  for (const method of EXTRA_METHODS) {
    server.addHttpMethod(method, { hasBody: true });
  }
  installRouting(server, createHostRouter(applications));
  installAccessLog(server, metrics);
  await server.register(reservedEndpoints, { trust });
  await server.register(proxyMode, { applications, timeouts: config.timeouts, trust, metrics });

  const health = config.metricsListen === null ? null : createHealthServer({ isReady: () => !draining && idps.isReady(), metrics });

  return {
    idps,
    server,
    credentials,
    reloadPolicies: () => policies.reload(),
    async listen() {
      idps.startDiscovery();
      const gateway = await server.listen({ host: config.listen.host, port: config.listen.port });
      let healthUrl: string | null = null;
      if (health !== null && config.metricsListen !== null) {
        healthUrl = await health.listen({ host: config.metricsListen.host, port: config.metricsListen.port });
      }
      return { gateway, health: healthUrl };
    },
    async close() {
      draining = true;
      idps.close();
      policies.close();
      const force = setTimeout(() => server.server.closeAllConnections(), config.timeouts.shutdownMs);
      force.unref();
      const sweep = setInterval(() => server.server.closeIdleConnections(), 100);
      sweep.unref();
      try {
        await server.close();
      } finally {
        clearTimeout(force);
        clearInterval(sweep);
        await Promise.all([health?.close(), sessions.close()]);
      }
    },
  };
}
