/**
 * The request path's counters and histograms must be indistinguishable from prom-client's own,
 * on /metrics and in the JSON that aggregates workers.
 */

import { AggregatorRegistry, Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { RequestCounter, RequestHistogram } from '../../src/observability/request-metrics.js';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const OBSERVATIONS: readonly (readonly [string, string, number])[] = [
  ['grafana', 'allowed', 0.0004],
  ['grafana', 'allowed', 0.003],
  ['wiki', 'denied', 0.001],
  ['grafana', 'allowed', 11],
  ['wiki', 'denied', 0.5],
  ['grafana', 'redirected', 0.01],
  ['wiki', 'denied', Number.NaN],
];

type Kind = 'prom-client' | 'request-metrics';

function filled(kind: Kind): Registry {
  const registry = new Registry();
  const options = { name: 'x_requests_total', help: 'Requests.', labelNames: ['app', 'outcome'] as const, registers: [registry] };
  const histogramOptions = { name: 'x_request_duration_seconds', help: 'Durations.', labelNames: ['app', 'outcome'] as const, buckets: BUCKETS, registers: [registry] };
  const counter = kind === 'prom-client' ? new Counter(options) : new RequestCounter(options);
  const histogram = kind === 'prom-client' ? new Histogram(histogramOptions) : new RequestHistogram(histogramOptions);
  for (const [app, outcome, seconds] of OBSERVATIONS) {
    counter.inc({ app, outcome });
    // prom-client throws on NaN; the request path must never throw while recording.
    if (kind === 'request-metrics' || Number.isFinite(seconds)) histogram.observe({ app, outcome }, seconds);
  }
  counter.inc({ app: 'grafana', outcome: 'allowed' }, 2);
  return registry;
}

describe('request metrics', () => {
  it('render the same text exposition as prom-client', async () => {
    const ours = await filled('request-metrics').metrics();
    expect(ours).toBe(await filled('prom-client').metrics());
    expect(ours).toContain('x_request_duration_seconds_bucket{le="0.005",app="grafana",outcome="allowed"} 2');
  });

  it('aggregate across workers as prom-client does', async () => {
    const ours = await filled('request-metrics').getMetricsAsJSON();
    const theirs = await filled('prom-client').getMetricsAsJSON();
    expect(await AggregatorRegistry.aggregate([ours, ours]).metrics()).toBe(await AggregatorRegistry.aggregate([theirs, theirs]).metrics());
  });

  it('start over on reset', async () => {
    const registry = filled('request-metrics');
    registry.resetMetrics();
    expect(await registry.metrics()).toBe('# HELP x_requests_total Requests.\n# TYPE x_requests_total counter\n\n# HELP x_request_duration_seconds Durations.\n# TYPE x_request_duration_seconds histogram\n');
  });
});
