/**
 * One log line per request, written when the response is done: application, outcome, auth
 * method, user, status and duration. Never a header value, never the query string (it may
 * carry tokens).
 */

import type { FastifyInstance } from 'fastify';

export function installAccessLog(app: FastifyInstance): void {
  app.addHook('onResponse', async (request, reply) => {
    const context = request.portcullis;
    request.log.info(
      {
        app: context?.app.name ?? null,
        method: request.method,
        path: context?.path ?? null,
        status: reply.statusCode,
        outcome: context?.outcome ?? null,
        authMethod: context?.identity?.method ?? null,
        user: context?.identity?.username ?? null,
        client: request.ip,
        durationMs: Math.round(reply.elapsedTime * 100) / 100,
      },
      'request',
    );
  });
}
