/**
 * The operations listener of a cluster primary (`metricsListen`): `/healthz` while the primary
 * runs, `/readyz` when every worker says it is ready, `/metrics` summed over the workers. Workers
 * are asked over IPC with a deadline: one that does not answer is not ready, and a scrape
 * carries the workers that answered (`portcullis_workers_scraped` says how many).
 */

import { AggregatorRegistry, Counter, Gauge, Registry, type PrometheusContentType } from 'prom-client';
import { createHealthServer } from '../gateway/index.js';
import type { FastifyInstance } from 'fastify';
import type { WorkerPool } from './pool.js';

/** How long `/readyz` waits for a worker's answer. */
export const READINESS_TIMEOUT_MS = 1_000;
/** How long `/metrics` waits for a worker's registry. */
export const METRICS_TIMEOUT_MS = 2_000;

export interface PrimaryMetrics {
  readonly registry: Registry;
  readonly restarts: Counter;
  readonly scraped: Gauge;
}

export function createPrimaryMetrics(pool: () => WorkerPool | null, configured: number): PrimaryMetrics {
  const registry = new Registry();
  new Gauge({ name: 'portcullis_workers', help: 'Gateway worker processes configured (workers).', registers: [registry] }).set(configured);
  new Gauge({
    name: 'portcullis_workers_listening',
    help: 'Gateway worker processes whose listeners are open.',
    registers: [registry],
    collect() {
      this.set(pool()?.listening() ?? 0);
    },
  });
  return {
    registry,
    restarts: new Counter({ name: 'portcullis_worker_restarts_total', help: 'Workers that died unexpectedly and were replaced.', registers: [registry] }),
    scraped: new Gauge({ name: 'portcullis_workers_scraped', help: 'Workers whose metrics this scrape contains.', registers: [registry] }),
  };
}

export function createOperationsServer(pool: WorkerPool, own: PrimaryMetrics): FastifyInstance {
  return createHealthServer({
    async isReady() {
      if (!pool.complete()) return false;
      const answers = await pool.ask('readiness', READINESS_TIMEOUT_MS);
      return answers.length === pool.size && answers.every((ready) => ready === true);
    },
    metrics: {
      contentType: Registry.PROMETHEUS_CONTENT_TYPE,
      async metrics() {
        const answers = (await pool.ask('metrics', METRICS_TIMEOUT_MS)).filter((metrics) => metrics !== null);
        own.scraped.set(answers.length);
        const workers = AggregatorRegistry.aggregate<PrometheusContentType>(answers);
        return Registry.merge([workers, own.registry]).metrics();
      },
    },
  });
}
