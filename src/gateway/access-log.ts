/**
 * One log line per request, written when the response is done: application, outcome, auth
 * method, user, status and duration. Never a header value, never the query string (it may
 * carry tokens).
 */

import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import { createAccessLogWriter, type AccessLogWriter, type Logger, type Metrics } from '../observability/index.js';
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

/**
 * Fastify's request logging, turned into Portcullis's access log and request metrics. Fastify
 * calls `requestCompleted` once per request when its response has finished, after its
 * `onResponse` hooks, whether there are any or not; the same work in an `onResponse` hook of
 * our own also ran Fastify's hook runner for every request (this instead: 0.98× the CPU of a
 * Bearer request and of an nginx decision, paired A/B). Fastify's own request lines stay off.
 */
export class AccessLogController extends LogController {
  readonly #metrics: Metrics;
  readonly #write: AccessLogWriter;

  constructor(metrics: Metrics, logger: Logger) {
    super({ disableRequestLogging: true });
    this.#metrics = metrics;
    this.#write = createAccessLogWriter(logger);
  }

  override requestCompleted(_error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const metrics = this.#metrics;
    const context = request.portcullis;
    const appName = context?.app.name ?? '';
    const outcome = context?.outcome == null ? 'rejected' : OUTCOME_NAMES[context.outcome];
    // Read once: each read of elapsedTime asks the clock again.
    const elapsedMs = reply.elapsedTime;
    metrics.requests.inc({ app: appName, outcome, auth_method: context?.identity?.method ?? 'none' });
    metrics.requestDuration.observe({ app: appName, outcome }, elapsedMs / 1000);
    // Here rather than in a hook of proxy mode's own: nothing else runs per finished request.
    if (context !== null && context.outcome === 'allow' && context.forwardedAt !== null) {
      metrics.upstreamDuration.observe({ app: appName }, (performance.now() - context.forwardedAt) / 1000);
    }
    this.#write(request.id, {
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
  }
}
