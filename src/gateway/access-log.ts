/**
 * One log line per request, written when the response is done: application, outcome, auth
 * method, user, status and duration. Never a header value, never the query string (it may
 * carry tokens).
 */

import type { FastifyInstance } from 'fastify';
import { createAccessLogWriter, type Logger, type Metrics } from '../observability/index.js';
import { clientIpOf, type RequestContext } from './context.js';

/** The outcome names operators see in metrics (DESIGN.md §2 in plain words). */
const OUTCOME_NAMES: Record<NonNullable<RequestContext['outcome']>, string> = {
  allow: 'allowed',
  login: 'redirected',
  challenge: 'challenged',
  deny: 'denied',
  unavailable: 'unavailable',
  throttled: 'throttled',
  reject: 'rejected',
  reserved: 'reserved',
  upstream_error: 'upstream_error',
};

export function installAccessLog(app: FastifyInstance, metrics: Metrics, logger: Logger): void {
  const write = createAccessLogWriter(logger);
  app.addHook('onResponse', (request, reply, done) => {
    const context = request.portcullis;
    const appName = context?.app.name ?? '';
    const outcome = context?.outcome == null ? 'rejected' : OUTCOME_NAMES[context.outcome];
    // Read once: each read of elapsedTime asks the clock again.
    const elapsedMs = reply.elapsedTime;
    metrics.requests.inc({ app: appName, outcome, auth_method: context?.identity?.method ?? 'none' });
    metrics.requestDuration.observe({ app: appName, outcome }, elapsedMs / 1000);
    // Here rather than in a hook of proxy mode's own: one onResponse hook per request.
    if (context !== null && context.outcome === 'allow' && context.forwardedAt !== null) {
      metrics.upstreamDuration.observe({ app: appName }, (performance.now() - context.forwardedAt) / 1000);
    }
    write(request.id, {
      app: context?.app.name ?? null,
      method: request.method,
      path: context?.path ?? null,
      status: reply.statusCode,
      outcome: context?.outcome ?? null,
      authMethod: context?.identity?.method ?? null,
      user: context?.identity?.username ?? null,
      client: clientIpOf(request),
      durationMs: Math.round(elapsedMs * 100) / 100,
    });
    done();
  });
}
