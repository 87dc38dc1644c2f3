/**
 * `portcullis run` with `workers: N` (N > 1): this process becomes a node:cluster primary. It
 * serves no request itself; it forks N workers that each load the same configuration and run
 * the gateway on the same listeners (the cluster hands connections out round-robin), serves
 * the operations listener for all of them, passes SIGHUP (and SIGUSR1 in authentik mode) on,
 * drains them on SIGTERM/SIGINT, and replaces one that dies.
 */

import type { Config } from '../config/index.js';
import { formatProblems, messageOf, ValidationError } from '../errors/index.js';
import type { Logger } from '../observability/index.js';
import { VERSION } from '../version.js';
import type { BackoffPolicy } from './backoff.js';
import { createOperationsServer, createPrimaryMetrics } from './operations.js';
import { WorkerPool, WorkerStartFailure } from './pool.js';

/** Beyond `timeouts.shutdown`, how long the primary waits for a draining worker before killing it. */
const DRAIN_GRACE_MS = 5_000;

export interface PrimaryOptions {
  /** Worker processes (`auto` already resolved). */
  readonly workers: number;
  /** The configuration as loaded at start: `metricsListen`, `timeouts.shutdown`. */
  readonly config: Config;
  /** Bound to say that the primary wrote the line. */
  readonly logger: Logger;
  /** Re-reads the configuration (SIGHUP), for the primary's own log level. */
  readonly reread: () => Promise<Config>;
  /** authentik mode: SIGUSR1 makes every worker re-fetch from the API. */
  readonly forwardRefresh?: boolean;
  readonly backoff?: BackoffPolicy;
}

export async function runPrimary(options: PrimaryOptions): Promise<number> {
  const { config, logger } = options;
  let pool: WorkerPool | null = null;
  const metrics = createPrimaryMetrics(() => pool, options.workers);
  const workers = new WorkerPool({
    size: options.workers,
    logger,
    ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
    onRestart: () => metrics.restarts.inc(),
  });
  pool = workers;
  const operations = config.metricsListen === null ? null : createOperationsServer(workers, metrics);
  const stop = stopRequested();
  const forwarding = forwardSignals(workers, options, logger);
  try {
    // Before any fork: a port in use fails here, with nothing to clean up.
    const health = operations === null || config.metricsListen === null ? null : await operations.listen({ host: config.metricsListen.host, port: config.metricsListen.port });
    const starting = workers.start();
    // Stopped during start-up, the race is decided by the signal; a start-up failure reported
    // after that is already handled by the drain and must not surface as an unhandled rejection.
    starting.catch(() => undefined);
    const started = await Promise.race([starting, stop.signal]);
    if (typeof started === 'string') {
      logger.info({ signal: started }, 'stopping before every worker started');
    } else {
      logger.info({ version: VERSION, gateway: started.gateway, health, tls: started.tls, workers: options.workers, pids: workers.pids() }, 'portcullis started');
      logger.flush();
      const signal = await stop.signal;
      logger.info({ signal }, 'draining every worker');
    }
    const code = await workers.stop(config.timeouts.shutdownMs + DRAIN_GRACE_MS);
    logger.info({ exitCode: code }, 'stopped');
    return code;
  } catch (error) {
    if (!(error instanceof WorkerStartFailure)) throw error;
    logger.error({ code: error.code, err: error.message }, 'portcullis could not start');
    await workers.stop(config.timeouts.shutdownMs + DRAIN_GRACE_MS);
    return error.exitCode;
  } finally {
    forwarding.release();
    stop.release();
    await operations?.close();
    logger.flush();
  }
}

/**
 * The first SIGTERM or SIGINT. The handlers stay until the end: a second signal while the
 * workers drain is not allowed to kill the primary (its workers would exit at once).
 */
function stopRequested(): { readonly signal: Promise<NodeJS.Signals>; release(): void } {
  let resolveSignal: (signal: NodeJS.Signals) => void = () => undefined;
  const signal = new Promise<NodeJS.Signals>((resolve) => {
    resolveSignal = resolve;
  });
  const onSignal = (received: NodeJS.Signals): void => resolveSignal(received);
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return {
    signal,
    release() {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    },
  };
}

/** SIGHUP → every worker re-reads the file; SIGUSR1 (authentik mode) → every worker re-fetches. */
function forwardSignals(pool: WorkerPool, options: PrimaryOptions, logger: Logger): { release(): void } {
  const onHangUp = (): void => {
    logger.info({ workers: pool.listening() }, 'reloading every worker');
    pool.broadcast({ portcullis: 'reload' });
    options.reread().then(
      (next) => {
        logger.level = next.log.level;
      },
      (error: unknown) => {
        // Each worker says the same with its binding; the primary keeps its level.
        const problems = error instanceof ValidationError ? formatProblems(error.problems) : messageOf(error);
        logger.debug({ problems }, 'the primary keeps its log level: the file does not validate');
      },
    );
  };
  const onRefresh = (): void => pool.broadcast({ portcullis: 'refresh' });
  process.on('SIGHUP', onHangUp);
  if (options.forwardRefresh === true) process.on('SIGUSR1', onRefresh);
  return {
    release() {
      process.off('SIGHUP', onHangUp);
      process.off('SIGUSR1', onRefresh);
    },
  };
}
