/**
 * Prometheus metrics, served on `metricsListen` only (never on the gateway port). One
 * registry per gateway, injected where it is needed: no module-level singletons, so tests
 * and several gateways in one process do not share counters.
 */

import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { RequestCounter, RequestHistogram } from './request-metrics.js';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface Metrics {
  readonly registry: Registry;
  /** Requests by application, outcome and how the caller was authenticated. */
  readonly requests: RequestCounter<'app' | 'outcome' | 'auth_method'>;
  readonly requestDuration: RequestHistogram<'app' | 'outcome'>;
  readonly idpRequests: RequestCounter<'endpoint' | 'result'>;
  readonly idpDuration: RequestHistogram<'endpoint'>;
  readonly sessionStoreDuration: RequestHistogram<'operation'>;
  readonly sessionStoreErrors: RequestCounter<'operation'>;
  readonly upstreamDuration: RequestHistogram<'app'>;
  readonly upstreamErrors: RequestCounter<'app' | 'kind'>;
}

export interface CacheCounters {
  readonly hits: number;
  readonly misses: number;
  readonly size: number;
}

export function createMetrics(options: { cache?: () => CacheCounters; defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) {
    collectDefaultMetrics({ register: registry, prefix: 'portcullis_process_' });
  }
  const metrics: Metrics = {
    registry,
    requests: new RequestCounter({
      name: 'portcullis_requests_total',
      help: 'Requests by application, outcome (allowed, redirected, challenged, denied, unavailable, throttled, rejected, reserved, upstream_error) and auth method.',
      labelNames: ['app', 'outcome', 'auth_method'],
      registers: [registry],
    }),
    requestDuration: new RequestHistogram({
      name: 'portcullis_request_duration_seconds',
      help: 'Time from request to response, by application and outcome.',
      labelNames: ['app', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    idpRequests: new RequestCounter({
      name: 'portcullis_idp_requests_total',
      help: 'Calls to the identity provider by endpoint and result (ok, error).',
      labelNames: ['endpoint', 'result'],
      registers: [registry],
    }),
    idpDuration: new RequestHistogram({
      name: 'portcullis_idp_request_duration_seconds',
      help: 'Latency of identity provider calls by endpoint.',
      labelNames: ['endpoint'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    sessionStoreDuration: new RequestHistogram({
      name: 'portcullis_session_store_duration_seconds',
      help: 'Latency of session store operations.',
      labelNames: ['operation'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    sessionStoreErrors: new RequestCounter({
      name: 'portcullis_session_store_errors_total',
      help: 'Session store operations that failed (store unreachable or timed out).',
      labelNames: ['operation'],
      registers: [registry],
    }),
    upstreamDuration: new RequestHistogram({
      name: 'portcullis_upstream_duration_seconds',
      help: 'Time to a complete upstream response, by application.',
      labelNames: ['app'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    upstreamErrors: new RequestCounter({
      name: 'portcullis_upstream_errors_total',
      help: 'Upstream requests that failed, by application and kind (unavailable, timeout).',
      labelNames: ['app', 'kind'],
      registers: [registry],
    }),
  };
  const cache = options.cache;
  if (cache !== undefined) {
    new Counter({
      name: 'portcullis_credential_cache_hits_total',
      help: 'Header credentials answered from the cache.',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(cache().hits);
      },
    });
    new Counter({
      name: 'portcullis_credential_cache_misses_total',
      help: 'Header credentials not in the cache (checked at the IdP).',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(cache().misses);
      },
    });
    new Gauge({
      name: 'portcullis_credential_cache_entries',
      help: 'Credentials currently cached.',
      registers: [registry],
      collect() {
        this.set(cache().size);
      },
    });
  }
  return metrics;
}

/** Starts a timer; the returned function records the elapsed seconds. */
export function startTimer(): () => number {
  const start = process.hrtime.bigint();
  return () => Number(process.hrtime.bigint() - start) / 1e9;
}
