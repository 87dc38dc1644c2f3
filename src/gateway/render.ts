/**
 * The one place where outcomes become HTTP for proxy mode (and the shape every forward-auth
 * renderer follows). Browsers get HTML, API clients JSON.
 */

import type { AnyReply } from './plugin-types.js';
import type { Outcome } from './outcome.js';
import { htmlPage, jsonBody, type ErrorBody, type PageContext } from './pages.js';

export type RenderedOutcome = Exclude<Outcome, { kind: 'allow' }>;

/** Says neither whether the username exists nor which limit (user or address) was reached. */
export const THROTTLED_MESSAGE = 'Too many failed sign-in attempts. Please try again later.';

export function renderOutcome(reply: AnyReply, outcome: RenderedOutcome, wantsHtml: boolean): AnyReply {
  reply.header('cache-control', 'no-store');
  switch (outcome.kind) {
    case 'login':
      return reply.code(302).header('location', outcome.location).send();
    case 'challenge':
      if (outcome.challenges.length > 0) {
        // One field line per challenge (RFC 9110 §11.6.1): some clients mis-parse a comma-joined list.
        reply.header(outcome.header, [...outcome.challenges]);
      }
      return sendError(reply, wantsHtml, challengeBody(outcome));
    case 'deny':
      if (outcome.challenges.length > 0) {
        reply.header(outcome.header, [...outcome.challenges]);
      }
      return sendError(reply, wantsHtml, { status: 403, error: 'forbidden', message: 'You are not allowed to access this application.' });
    case 'unavailable':
      reply.header('retry-after', String(outcome.retryAfterSeconds));
      return sendError(reply, wantsHtml, {
        status: 503,
        error: 'service_unavailable',
        message: 'Sign-in is temporarily unavailable. Please try again shortly.',
      });
    case 'throttled':
      reply.header('retry-after', String(outcome.retryAfterSeconds));
      return sendError(reply, wantsHtml, { status: 429, error: 'too_many_requests', message: THROTTLED_MESSAGE });
    case 'reject':
      return sendError(reply, wantsHtml, { status: outcome.status, error: outcome.error, message: outcome.message });
  }
}

function challengeBody(outcome: Extract<Outcome, { kind: 'challenge' }>): ErrorBody {
  if (outcome.reason === 'malformed') {
    return { status: outcome.status, error: 'invalid_request', message: 'The credentials are malformed.' };
  }
  return {
    status: outcome.status,
    error: outcome.status === 407 ? 'proxy_authentication_required' : 'unauthorized',
    message: outcome.reason === 'invalid' ? 'The credentials were not accepted.' : 'Authentication is required.',
  };
}

export function sendError(reply: AnyReply, wantsHtml: boolean, body: ErrorBody): AnyReply {
  reply.code(body.status);
  if (wantsHtml) {
    const context = reply.request.portcullis;
    return reply.type('text/html; charset=utf-8').send(htmlPage(body, pageContextOf(reply, body.status), context?.app.pages.error));
  }
  return reply.type('application/json; charset=utf-8').send(jsonBody(body));
}

// Answers worth trying again as they are: the application or a dependency had trouble.
const RETRYABLE = new Set([408, 429, 500, 502, 503, 504]);

/**
 * The application a page is for, and the address to try again: the request's own, rebuilt on
 * the application's externalHost from the normalized path (never from Host, so never another
 * site), and only for a GET or HEAD (a link would turn anything else into a GET).
 */
export function pageContextOf(reply: AnyReply, status: number): PageContext {
  const context = reply.request.portcullis;
  if (context === null) return { application: null, retryUrl: null };
  const method = reply.request.method;
  const retry = RETRYABLE.has(status) && (method === 'GET' || method === 'HEAD') && !context.path.startsWith('/outpost.goauthentik.io/');
  return { application: context.app.name, retryUrl: retry ? `${context.app.origin}${context.path}${context.query}` : null };
}
