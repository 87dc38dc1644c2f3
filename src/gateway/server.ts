/**
 * Assembles the gateway: one Fastify instance for traffic, one for health probes, the
 * identity-provider directory, and the order in which they start and drain.
 */

import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { CredentialCache } from '../auth/index.js';
import type { Config } from '../config/index.js';
import type { IdpCallObserver, IdpDirectory } from '../idp/index.js';
import type { Logger } from '../observability/index.js';
import { createSessionStore, MemorySessionStore, observeStore, type SessionStore } from '../sessions/index.js';
import { createMetrics, deferredChildLogger } from '../observability/index.js';
import { AccessLogController } from './access-log.js';
import { installRouting } from './context.js';
import { frameworkErrors, installErrorHandling } from './error-handling.js';
import { createHealthServer } from './health.js';
import { EXTRA_METHODS, proxyMode } from './proxy-mode.js';
import { reservedEndpoints } from './reserved.js';
import { answerClientError, installRequestLimits, nodeServerOptions } from './request-limits.js';
import { compileTrust } from './trust.js';
import { loadCertificates, TlsListener } from './tls-listener.js';
import { refuseTunnels } from './tunnels.js';
import { trackKeepAlive } from './keep-alive-drain.js';
import { buildRuntime, closeRuntime, reloadable, restartOnlyChanges } from './runtime.js';

export interface GatewayOptions {
  readonly config: Config;
  readonly logger: Logger;
  /** A session store to use instead of the configured one (tests); the gateway closes it. */
  readonly sessionStore?: SessionStore;
  /** A further condition of `/readyz` (a configuration source that has not delivered yet). */
  readonly ready?: () => boolean;
  /** Extra metrics collected with the gateway's own (the configuration source's). */
  readonly registerMetrics?: (registry: Registry) => void;
  /**
   * Whether this gateway opens `metricsListen` itself (default true). A worker of `workers: N`
   * passes false: its cluster primary serves the operations listener and asks each worker for
   * `isReady()` and `metrics`.
   */
  readonly operationsListener?: boolean;
}

export interface ReloadResult {
  /** The applications, identity settings, policies and caches now in use come from the new file. */
  readonly applied: boolean;
  /** Top-level keys that changed but wait for a restart. */
  readonly restartNeeded: readonly string[];
}

export interface Gateway {
  /** Starts the listeners and IdP discovery; resolves with the bound URLs. */
  listen(): Promise<{ readonly gateway: string; readonly health: string | null; readonly tls: string | null }>;
  /** Stops accepting, lets in-flight requests finish (up to `timeouts.shutdown`), then closes. */
  close(): Promise<void>;
  readonly idps: IdpDirectory;
  readonly server: FastifyInstance;
  /** The header-credential cache, for its sizes (metrics, tests). */
  readonly credentials: CredentialCache;
  /**
   * Applies a new configuration without dropping a connection (SIGHUP): applications, identity,
   * policies and caches are rebuilt and swapped in; requests in flight finish with what they
   * started with. Rejects, changing nothing, when the new policies do not validate.
   */
  reload(next: Config): Promise<ReloadResult>;
  /** Ends every session whose IdP session (`sid`) the IdP ended; resolves with how many ended. */
  endSessionsOf(sessionId: string): Promise<number>;
  /** What `/readyz` answers: not draining, the configuration source delivered, every IdP discovered. */
  isReady(): boolean;
  /** The registry `/metrics` serves. */
  readonly metrics: Registry;
}

export async function createGateway({ config, logger, sessionStore, ready, registerMetrics, operationsListener = true }: GatewayOptions): Promise<Gateway> {
  const trust = compileTrust(config.trustedProxies);
  const metrics = createMetrics({ cache: () => runtime.credentials });
  registerMetrics?.(metrics.registry);
  const idpObserver: IdpCallObserver = {
    record: (endpoint, ok, seconds) => {
      metrics.idpRequests.inc({ endpoint, result: ok ? 'ok' : 'error' });
      metrics.idpDuration.observe({ endpoint }, seconds);
    },
  };
  const store =
    sessionStore ??
    createSessionStore(config.sessions, {
      secret: config.secret,
      onRedisError: (error) => logger.warn({ err: error.message }, 'session store connection error'),
    });
  // Latency and failures are those of a store behind the network (Redis). The memory store
  // answers in process and has neither to report; timing its `get`, which every request with a
  // session makes, cost about 5 % of the decision endpoint's time.
  const sessions =
    store instanceof MemorySessionStore
      ? store
      : observeStore(store, {
          record: (operation, ok, seconds) => {
            metrics.sessionStoreDuration.observe({ operation }, seconds);
            if (!ok) metrics.sessionStoreErrors.inc({ operation });
          },
        });
  let runtime = await buildRuntime(config, { sessions, logger, idpObserver });
  let draining = false;

  const server: FastifyInstance = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // One access-log line per request is written by access-log.ts instead of Fastify's two.
    logController: new AccessLogController(metrics, logger),
    // A request's own logger becomes a pino child only if the request logs a line through it.
    childLoggerFactory: (parent, bindings, options) => deferredChildLogger(parent as Logger, bindings, options),
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
  refuseTunnels(server.server);
  // Before host routing, so an oversized request costs nothing and never reaches the IdP.
  installRequestLimits(server, config.limits);
  const keepAlive = trackKeepAlive(server.server);
  for (const method of EXTRA_METHODS) {
    server.addHttpMethod(method, { hasBody: true });
  }
  installRouting(server, {
    resolve: (host) => runtime.router.resolve(host),
    atEndpoint: (endpoint) => runtime.router.atEndpoint(endpoint),
    get size() {
      return runtime.router.size;
    },
  });
  await server.register(reservedEndpoints, { trust });
  await server.register(proxyMode, { applications: () => runtime.applications, timeouts: config.timeouts, trust, metrics });

  const tls = config.tlsListen === null ? null : new TlsListener(server.server, await loadCertificates(config.tls.certificates));
  const isReady = (): boolean => !draining && (ready?.() ?? true) && runtime.idps.isReady();
  const health = config.metricsListen === null || !operationsListener ? null : createHealthServer({ isReady, metrics: metrics.registry });

  return {
    get idps() {
      return runtime.idps;
    },
    server,
    get credentials() {
      return runtime.credentials;
    },
    async reload(next) {
      const restartNeeded = restartOnlyChanges(runtime.config, next);
      // Certificates first: one that cannot be used refuses the whole reload, changing nothing.
      const certificates = tls === null ? null : await loadCertificates(next.tls.certificates);
      const fresh = await buildRuntime(reloadable(runtime.config, next), { sessions, logger, idpObserver });
      if (certificates !== null) tls?.replace(certificates);
      const old = runtime;
      runtime = fresh;
      fresh.idps.startDiscovery();
      closeRuntime(old);
      return { applied: true, restartNeeded };
    },
    endSessionsOf: (sessionId) => sessions.deleteForSid(sessionId),
    isReady,
    metrics: metrics.registry,
    async listen() {
      runtime.idps.startDiscovery();
      const gateway = await server.listen({ host: config.listen.host, port: config.listen.port });
      let healthUrl: string | null = null;
      if (health !== null && config.metricsListen !== null) {
        healthUrl = await health.listen({ host: config.metricsListen.host, port: config.metricsListen.port });
      }
      const tlsUrl = tls === null || config.tlsListen === null ? null : await tls.listen(config.tlsListen);
      return { gateway, health: healthUrl, tls: tlsUrl };
    },
    async close() {
      draining = true;
      // Requests that arrive from now on get Fastify's 503 with `Connection: close`
      // (return503OnClosing); those in flight end their connections when they answer.
      keepAlive.endKeepAlive();
      closeRuntime(runtime);
      const force = setTimeout(() => server.server.closeAllConnections(), config.timeouts.shutdownMs);
      force.unref();
      const sweep = setInterval(() => server.server.closeIdleConnections(), 100);
      sweep.unref();
      try {
        await Promise.all([server.close(), tls?.close()]);
      } finally {
        clearTimeout(force);
        clearInterval(sweep);
        await Promise.all([health?.close(), sessions.close()]);
      }
    },
  };
}
