/**
 * `portcullis run`: start the gateway, say what it serves, reload on SIGHUP, and drain on
 * SIGTERM/SIGINT; with `workers: N`, the cluster primary that runs N of them (src/workers).
 */

import { availableParallelism } from 'node:os';
import { Registry } from 'prom-client';
import { AuthentikSource, localSettingsConfig, OutpostMetrics, type AuthentikSettings, type AuthentikSourceOptions } from './authentik/index.js';
import { loadConfig, readConfigDocument, type Config, type ConfigDocument } from './config/index.js';
import { formatProblems, messageOf, ValidationError } from './errors/index.js';
import { createGateway, type Gateway } from './gateway/index.js';
import { createLogger, flushed, type Logger } from './observability/index.js';
import { VERSION } from './version.js';
import { runPrimary, signalControls, workerCount, type Controls, type WorkerLink } from './workers/index.js';

export { untilSignal } from './workers/index.js';

export interface RunOptions {
  /** Set in a worker of `workers: N`: its primary's controls, the log binding, IPC answers. */
  readonly worker?: WorkerLink;
}

export async function runGateway(config: Config, options: RunOptions = {}): Promise<number> {
  const { worker } = options;
  const root = createLogger({ config: config.log });
  const logger = worker === undefined ? root : root.child(worker.bindings);
  const controls = worker?.controls ?? signalControls();
  // Before anything can announce the process: a supervisor that stops it as soon as it reads
  // the start-up line must find the handlers in place (a signal before then is kept, and the
  // gateway drains as soon as it has started).
  const stopped = controls.untilStop();
  const { gateway, urls } = await starting(controls, async () => {
    const gateway = await createGateway({ config, logger, operationsListener: worker === undefined });
    worker?.serve(gateway);
    controls.onReload(() => {
      void reload(config, gateway, logger);
    });
    return { gateway, urls: await listenOrClose(gateway) };
  });
  // A worker's line is not "portcullis started": that one is the primary's, once every worker listens.
  logger.info({ version: VERSION, gateway: urls.gateway, health: urls.health, tls: urls.tls }, worker === undefined ? 'portcullis started' : 'worker started');
  // Info lines are batched: whoever waits for this line sees it now. A worker tells its primary
  // it listens only after the write, so its line comes before the primary's "portcullis started".
  await flushed(logger);
  worker?.listening({ gateway: urls.gateway, tls: urls.tls });
  for (const app of config.applications) {
    logger.info(
      {
        app: app.name,
        mode: app.mode,
        externalHost: app.externalHost,
        internalHost: app.internalHost,
        issuer: app.identity.issuer,
        policies: app.policies.bindings.map((b) => `${b.negate ? 'not ' : ''}${b.policy}`),
      },
      'serving application',
    );
  }
  logger.flush();
  const signal = await stopped;
  controls.release();
  logger.info({ signal }, 'draining in-flight requests');
  await gateway.close();
  logger.info('stopped');
  logger.flush();
  return 0;
}

/**
 * `portcullis run` for a configuration whose `workers` is more than one process (`auto`: the
 * cores this process may use): the cluster primary. Null when one process is what it asks for,
 * which then runs as it always did, without a primary.
 */
export async function runWorkersIfAsked(config: Config, reread: () => Promise<Config>, authentik = false): Promise<number | null> {
  const workers = workerCount(config.workers, availableParallelism());
  if (workers <= 1) return null;
  const logger = createLogger({ config: config.log }).child({ role: 'primary', pid: process.pid });
  return runPrimary({ workers, config, logger, reread, forwardRefresh: authentik });
}

export interface AuthentikOutpostOptions {
  readonly settings: AuthentikSettings;
  /** The local configuration file, or null. */
  readonly configFile: string | null;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Default: a JSON logger on stdout at the file's level. */
  readonly logger?: Logger;
  /** Test knobs of the source (start-up retry, trigger delay, hello interval). */
  readonly source?: Pick<AuthentikSourceOptions, 'retryMs' | 'triggerJitterMs' | 'helloIntervalMs'>;
  /** Set in a worker of `workers: N`: the primary serves the operations listener. */
  readonly worker?: WorkerLink;
}

export interface AuthentikOutpost {
  readonly gateway: Gateway;
  readonly urls: { readonly gateway: string; readonly health: string | null; readonly tls: string | null };
  readonly source: () => AuthentikSource;
  /** Re-reads the local file and starts following authentik again (SIGHUP). */
  reloadLocal(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The gateway configured by authentik's API (DESIGN.md §4a): it starts with the local settings
 * and no application, and takes each configuration the source assembles. `/readyz` stays not
 * ready until one was applied.
 */
export async function startAuthentikOutpost(options: AuthentikOutpostOptions): Promise<AuthentikOutpost> {
  const { settings, configFile, env } = options;
  const readLocal = (): Promise<ConfigDocument | null> => (configFile === null ? Promise.resolve(null) : readConfigDocument(configFile, env));
  const build = env.GIT_BUILD_HASH ?? '';
  // The local settings alone (no provider yet) decide listeners, sessions and logging.
  const bootstrap = localSettingsConfig(settings, await readLocal());
  const { worker } = options;
  const logger = options.logger ?? (worker === undefined ? createLogger({ config: bootstrap.log }) : createLogger({ config: bootstrap.log }).child(worker.bindings));
  let source: AuthentikSource | null = null;
  let metrics: OutpostMetrics | null = null;
  const gateway = await createGateway({
    config: bootstrap,
    logger,
    ready: () => source?.configured ?? false,
    registerMetrics: (registry) => {
      metrics = new OutpostMetrics(registry, build);
    },
    operationsListener: worker === undefined,
  });
  worker?.serve(gateway);
  const outpostMetrics = metrics ?? new OutpostMetrics(new Registry(), build);
  const sourceFor = (local: ConfigDocument | null, configured = false): AuthentikSource =>
    new AuthentikSource({
      ...options.source,
      configured,
      settings,
      local,
      log: logger,
      metrics: outpostMetrics,
      buildHash: build,
      apply: async ({ config }) => {
        await gateway.reload(config);
      },
      endSessions: (sessionId) => gateway.endSessionsOf(sessionId),
    });
  let current = sourceFor(await readLocal());
  source = current;
  const urls = await listenOrClose(gateway);
  logger.info(
    { version: VERSION, gateway: urls.gateway, health: urls.health, tls: urls.tls, authentik: settings.host.origin, instance: current.instanceUuid },
    worker === undefined ? 'portcullis started' : 'worker started',
  );
  // Info lines are batched: whoever waits for this line sees it now. A worker tells its primary
  // it listens only after the write, so its line comes before the primary's "portcullis started".
  await flushed(logger);
  worker?.listening({ gateway: urls.gateway, tls: urls.tls });
  current.start();
  return {
    gateway,
    urls,
    source: () => current,
    async reloadLocal() {
      const local = await readLocal();
      const wasConfigured = current.configured;
      await current.close();
      current = sourceFor(local, wasConfigured);
      source = current;
      current.start();
    },
    async close() {
      await current.close();
      await gateway.close();
    },
  };
}

/**
 * The local settings of authentik mode, before the API answered (listeners, sessions, logging,
 * `workers`): what the cluster primary needs to know.
 */
export async function authentikLocalSettings(settings: AuthentikSettings, configFile: string | null, env: Readonly<Record<string, string | undefined>>): Promise<Config> {
  return localSettingsConfig(settings, configFile === null ? null : await readConfigDocument(configFile, env));
}

/**
 * `portcullis run` with AUTHENTIK_HOST and AUTHENTIK_TOKEN: SIGUSR1 re-fetches, SIGHUP re-reads
 * the file too. In a worker of `workers: N`, each worker follows authentik's API itself, as a
 * replica of the outpost would (its own instance, websocket and refreshes).
 */
export async function runWithAuthentik(
  settings: AuthentikSettings,
  configFile: string | null,
  env: Readonly<Record<string, string | undefined>>,
  options: RunOptions = {},
): Promise<number> {
  const controls = options.worker?.controls ?? signalControls();
  // As in runGateway: in place before the start-up line can be read.
  const stopped = controls.untilStop();
  const outpost = await starting(controls, () =>
    startAuthentikOutpost({ settings, configFile, env, ...(options.worker === undefined ? {} : { worker: options.worker }) }),
  );
  const logger = outpost.gateway.server.log;
  controls.onRefresh(() => {
    void outpost.source().refresh();
  });
  controls.onReload(() => {
    outpost.reloadLocal().catch((error: unknown) => {
      const problems = error instanceof ValidationError ? formatProblems(error.problems) : messageOf(error);
      logger.error({ problems }, 'configuration reload refused; nothing changed');
    });
  });
  const signal = await stopped;
  controls.release();
  logger.info({ signal }, 'draining in-flight requests');
  await outpost.close();
  logger.info('stopped');
  return 0;
}

/**
 * The start-up, with the stop handlers already taken; when it fails, they are given back, so
 * that a process on its way out with its error still dies of SIGTERM instead of waiting for a
 * drain that will never come.
 */
async function starting<T>(controls: Controls, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    controls.release();
    throw error;
  }
}

/**
 * Opens the listeners; when one cannot be opened (a port in use), closes what was started, so
 * that the process exits with its error instead of staying alive on the session store's
 * connection and the IdP discovery timers.
 */
async function listenOrClose(gateway: Gateway): Promise<Awaited<ReturnType<Gateway['listen']>>> {
  try {
    return await gateway.listen();
  } catch (error) {
    await gateway.close().catch(() => undefined);
    throw error;
  }
}

/**
 * SIGHUP: the log level, applications, identity settings, policies and caches take effect at
 * once, without dropping a connection. Listeners, `trustedProxies`, sessions, limits, timeouts
 * and `secret` are built into the server: a change to them is reported and waits for a
 * restart. A file that does not validate changes nothing.
 */
async function reload(running: Config, gateway: Gateway, logger: Logger): Promise<void> {
  try {
    const next = await loadConfig(running.source, process.env);
    const result = await gateway.reload(next);
    logger.info({ logLevel: next.log.level, restartNeeded: result.restartNeeded }, 'configuration reloaded');
    if (result.restartNeeded.length > 0) {
      logger.warn({ keys: result.restartNeeded }, 'these settings changed and take effect after a restart');
    }
    logger.level = next.log.level;
  } catch (error) {
    const problems = error instanceof ValidationError ? formatProblems(error.problems) : messageOf(error);
    logger.error({ problems }, 'configuration reload refused; nothing changed');
  }
}
