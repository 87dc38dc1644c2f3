/**
 * The limits a request must stay within before anything else looks at it: sizes and timers
 * Node's HTTP server enforces itself (431, 408), the URL length (414) and the body size (413),
 * all answered with the same bodies as every other Portcullis error.
 */

import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Transform, type TransformCallback } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { LimitsConfig, TimeoutsConfig } from '../config/index.js';
import type { AnyReply } from './context.js';
import { jsonBody } from './pages.js';
import { sendError } from './render.js';

/**
 * Limits Node's HTTP server enforces itself: header size (431 from `answerClientError`), the
 * time to receive headers (slowloris) and the whole request (408), keep-alive idle time.
 * Node checks the two request timers every `connectionsCheckingInterval` (30 s by default),
 * which would let a slow client hold a connection up to 30 s past its limit.
 */
export function nodeServerOptions(limits: LimitsConfig, timeouts: TimeoutsConfig) {
  const checkEveryMs = Math.max(100, Math.min(1_000, Math.floor(timeouts.headersMs / 2)));
  return {
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    http: {
      maxHeaderSize: limits.maxHeaderSize,
      headersTimeout: timeouts.headersMs,
      requestTimeout: timeouts.requestMs,
      keepAliveTimeout: timeouts.keepAliveMs,
      connectionsCheckingInterval: checkEveryMs,
    },
  };
}

const CLIENT_ERRORS: Readonly<Record<string, { readonly status: number; readonly error: string; readonly message: string }>> = {
  HPE_HEADER_OVERFLOW: { status: 431, error: 'request_header_fields_too_large', message: 'The request headers are too large.' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, error: 'request_timeout', message: 'The request was not received in time.' },
};
const BAD_REQUEST = { status: 400, error: 'bad_request', message: 'The request could not be understood.' };

/**
 * A request Node's parser refused or timed out before Fastify saw it: the same JSON body as
 * every other Portcullis error, then the connection is closed. Nothing is written when a
 * response has already begun on the connection (a status line mid-body would corrupt it).
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) {
    return;
  }
  const started = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage?.headersSent === true;
  if (!socket.writable || started) {
    socket.destroy();
    return;
  }
  const body = CLIENT_ERRORS[error.code ?? ''] ?? BAD_REQUEST;
  const json = jsonBody(body);
  const head = [
    `HTTP/1.1 ${body.status} ${STATUS_CODES[body.status] ?? ''}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(json)}`,
    'Cache-Control: no-store',
    'Connection: close',
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${json}`, () => socket.destroy());
}

function wantsHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  return typeof accept === 'string' && accept.includes('text/html');
}

/**
 * `limits.maxUrlLength` (414) and `limits.maxRequestBody` (413), checked before host routing
 * and authentication. A declared `Content-Length` over the limit is refused before anything
 * reaches the upstream (with `Expect: 100-continue`, before the client is invited to send the
 * body: context.ts sends `100 Continue` only after every `onRequest` hook let it through); a
 * chunked body is counted as it streams and cut at the limit: the client gets 413 (unless the
 * upstream has already answered) and the upstream's request is aborted, so it never sees a
 * complete body. The connection is closed after a 413: the rest of the body is not read.
 */
export function installRequestLimits(server: FastifyInstance, limits: LimitsConfig): void {
  const maxBody = limits.maxRequestBody;
  // Callback-style hooks: every request runs them, and an async hook costs a promise each time.
  server.addHook('onRequest', (request, reply, done) => {
    const target = request.raw.url ?? '';
    if (target.length > limits.maxUrlLength) {
      sendError(reply, wantsHtml(request), { status: 414, error: 'uri_too_long', message: 'The request target is too long.' });
      return;
    }
    if (maxBody > 0 && declaredLength(request.raw) > maxBody) {
      refuseBody(reply, wantsHtml(request));
      return;
    }
    done();
  });
  if (maxBody <= 0) {
    return;
  }
  server.addHook('preParsing', (request, reply, payload, done) => {
    const context = request.portcullis;
    // Only a body on its way to an upstream, and only one without a length Node already enforces.
    if (context === null || context.forwardedAt === null || request.headers['transfer-encoding'] === undefined) {
      done(null, payload);
      return;
    }
    const limited = payload.pipe(
      new BodyLimit(maxBody, () => {
        context.outcome = 'reject';
        if (!reply.sent) {
          refuseBody(reply, context.wantsHtml);
        }
      }),
    );
    done(null, limited);
  });
}

function declaredLength(request: IncomingMessage): number {
  const header = request.headers['content-length'];
  return header === undefined ? 0 : Number(header);
}

function refuseBody(reply: FastifyReply, html: boolean): AnyReply {
  reply.header('connection', 'close');
  return sendError(reply, html, { status: 413, error: 'content_too_large', message: 'The request body is too large.' });
}

/** Passes a body through while it stays within `max` bytes; past it, fails the stream. */
class BodyLimit extends Transform {
  receivedEncodedLength = 0;
  readonly #max: number;
  readonly #onExceeded: () => void;

  constructor(max: number, onExceeded: () => void) {
    super();
    this.#max = max;
    this.#onExceeded = onExceeded;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.receivedEncodedLength += chunk.length;
    if (this.receivedEncodedLength > this.#max) {
      this.#onExceeded();
      callback(new Error('request body over limits.maxRequestBody'));
      return;
    }
    callback(null, chunk);
  }
}
