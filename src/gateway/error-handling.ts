/**
 * What the gateway answers when something other than a decision ends a request: a URL
 * Fastify cannot parse, a method no route takes, an unexpected exception. Same bodies as
 * every other Portcullis response, and never a stack trace.
 */

import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from './render.js';

function wantsHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  return typeof accept === 'string' && accept.includes('text/html');
}

/** Fastify's own early failures (malformed URL, bad content-type): always a 400. */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const badUrl = error.code === 'FST_ERR_BAD_URL';
  sendError(reply, wantsHtml(request), {
    status: 400,
    error: badUrl ? 'invalid_path' : 'bad_request',
    message: badUrl ? 'The request path was refused: it is not a valid URL path.' : 'The request could not be understood.',
  });
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) => {
    sendError(reply, wantsHtml(request), { status: 404, error: 'not_found', message: 'There is nothing at this address.' });
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) {
      request.log.error({ err: error }, 'unexpected error');
    }
    sendError(reply, wantsHtml(request), {
      status,
      error: status === 500 ? 'internal_error' : 'bad_request',
      message: status === 500 ? 'Something went wrong on our side.' : 'The request could not be understood.',
    });
  });
}
