/**
 * The operations listener (`metricsListen`): metrics, liveness and readiness, apart from the gateway
 * port so that probes never pass through authentication and the public never sees them.
 */

import Fastify, { type FastifyInstance } from 'fastify';

/** Where `/metrics` comes from: a prom-client registry, or the workers' registries aggregated. */
export interface MetricsSource {
  readonly contentType: string;
  metrics(): Promise<string>;
}

export interface HealthOptions {
  /**
   * True once every identity provider's discovery document was fetched and while not draining
   * (a cluster primary: once every worker said so).
   */
  readonly isReady: () => boolean | Promise<boolean>;
  readonly metrics: MetricsSource;
}

export function createHealthServer(options: HealthOptions): FastifyInstance {
  const server = Fastify({ logger: false });
  server.get('/healthz', async (_request, reply) => reply.header('cache-control', 'no-store').send({ status: 'ok' }));
  server.get('/metrics', async (_request, reply) => {
    const body = await options.metrics.metrics();
    return reply.header('content-type', options.metrics.contentType).header('cache-control', 'no-store').send(body);
  });
  server.get('/readyz', async (_request, reply) => {
    const ready = await options.isReady();
    return reply
      .code(ready ? 200 : 503)
      .header('cache-control', 'no-store')
      .send({ status: ready ? 'ready' : 'not_ready' });
  });
  return server;
}
