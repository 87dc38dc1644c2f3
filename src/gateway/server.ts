/**
 * Assembles the gateway: one Fastify instance for traffic, one for health probes, the
 * identity-provider directory, and the order in which they start and drain.
 */

import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Transform, type TransformCallback } from 'node:stream';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { CredentialCache } from '../auth/index.js';
import type { Config, LimitsConfig, TimeoutsConfig } from '../config/index.js';
import { IdpDirectory } from '../idp/index.js';
import type { Logger } from '../observability/index.js';
import { createSessionStore, observeStore, type SessionStore } from '../sessions/index.js';
import { createMetrics, type CacheCounters } from '../observability/index.js';
import { PolicyWatcher } from '../policy/index.js';
import { formatProblems, ValidationError } from '../errors/index.js';
import { installAccessLog } from './access-log.js';
import { installRouting, type AnyReply } from './context.js';
import { frameworkErrors, installErrorHandling } from './error-handling.js';
import { jsonBody } from './pages.js';
import { sendError } from './render.js';
import { createHealthServer } from './health.js';
import { createHostRouter } from './host-router.js';
import { EXTRA_METHODS, proxyMode } from './proxy-mode.js';
import { reservedEndpoints } from './reserved.js';
import { compileTrust } from './trust.js';
import { wireApplications } from './wiring.js';

export interface GatewayOptions {
  readonly config: Config;
  readonly logger: Logger;
  /** A session store to use instead of the configured one (tests); the gateway closes it. */
  readonly sessionStore?: SessionStore;
}

export interface Gateway {
  /** Starts both listeners and IdP discovery; resolves with the bound URLs. */
  listen(): Promise<{ readonly gateway: string; readonly health: string | null }>;
  /** Stops accepting, lets in-flight requests finish (up to `timeouts.shutdown`), then closes. */
  close(): Promise<void>;
  readonly idps: IdpDirectory;
  readonly server: FastifyInstance;
  /** The header-credential cache, for its sizes (metrics, tests). */
  readonly credentials: CredentialCache;
}

export async function createGateway({ config, logger, sessionStore }: GatewayOptions): Promise<Gateway> {
  const trust = compileTrust(config.trustedProxies);
  const idps = new IdpDirectory({
    applications: config.applications,
    timeoutMs: config.timeouts.idpMs,
    jwksCooldownMs: config.cache.jwksCooldownMs,
    jwksMaxAgeMs: config.cache.jwksMaxAgeMs,
    log: logger,
    observer: {
      record: (endpoint, ok, seconds) => {
        metrics.idpRequests.inc({ endpoint, result: ok ? 'ok' : 'error' });
        metrics.idpDuration.observe({ endpoint }, seconds);
      },
    },
  });
  let credentialCounters: CacheCounters = { hits: 0, misses: 0, size: 0 };
  const metrics = createMetrics({ cache: () => credentialCounters });
  const sessions = observeStore(
    sessionStore ??
      createSessionStore(config.sessions, {
        secret: config.secret,
        onRedisError: (error) => logger.warn({ err: error.message }, 'session store connection error'),
      }),
    {
      record: (operation, ok, seconds) => {
        metrics.sessionStoreDuration.observe({ operation }, seconds);
        if (!ok) metrics.sessionStoreErrors.inc({ operation });
      },
    },
  );
  const policies = await PolicyWatcher.start({
    dir: config.policiesDir,
    applications: config.applications,
    source: config.source,
    onReload: (names) => logger.info({ policies: [...names] }, 'policies reloaded'),
    onError: (error) =>
      logger.error({ problems: error instanceof ValidationError ? formatProblems(error.problems) : error.message }, 'policy change refused; keeping the last good policies'),
  });
  const { applications, credentials } = wireApplications({ config, idps, sessions, policies, logger });
  credentialCounters = credentials;
  let draining = false;

  const server: FastifyInstance = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // One access-log line per request is written by access-log.ts instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: trust,
    // Connections idle between requests are closed at shutdown; busy ones finish first.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    routerOptions: { ignoreDuplicateSlashes: false, ignoreTrailingSlash: false },
    frameworkErrors,
    ...nodeServerOptions(config.limits, config.timeouts),
    clientErrorHandler: answerClientError,
  });
  installErrorHandling(server);
  // Before host routing, so an oversized request costs nothing and never reaches the IdP.
  installRequestLimits(server, config.limits);
  // While draining, every response closes its connection, so keep-alive clients let go and
  // `close()` does not wait for their idle timeout.
  server.addHook('onSend', async (_request, reply, payload) => {
    if (draining) {
      reply.header('connection', 'close');
    }
    return payload;
  });
  for (const method of EXTRA_METHODS) {
    server.addHttpMethod(method, { hasBody: true });
  }
  installRouting(server, createHostRouter(applications));
  installAccessLog(server, metrics);
  await server.register(reservedEndpoints, { trust });
  await server.register(proxyMode, { applications, timeouts: config.timeouts, trust, metrics });

  const health = config.metricsListen === null ? null : createHealthServer({ isReady: () => !draining && idps.isReady(), metrics });

  return {
    idps,
    server,
    credentials,
    async listen() {
      idps.startDiscovery();
      const gateway = await server.listen({ host: config.listen.host, port: config.listen.port });
      let healthUrl: string | null = null;
      if (health !== null && config.metricsListen !== null) {
        healthUrl = await health.listen({ host: config.metricsListen.host, port: config.metricsListen.port });
      }
      return { gateway, health: healthUrl };
    },
    async close() {
      draining = true;
      idps.close();
      policies.close();
      const force = setTimeout(() => server.server.closeAllConnections(), config.timeouts.shutdownMs);
      force.unref();
      const sweep = setInterval(() => server.server.closeIdleConnections(), 100);
      sweep.unref();
      try {
        await server.close();
      } finally {
        clearTimeout(force);
        clearInterval(sweep);
        await Promise.all([health?.close(), sessions.close()]);
      }
    },
  };
}

/**
 * Limits Node's HTTP server enforces itself: header size (431 from `answerClientError`), the
 * time to receive headers (slowloris) and the whole request (408), keep-alive idle time.
 * Node checks the two request timers every `connectionsCheckingInterval` (30 s by default),
 * which would let a slow client hold a connection up to 30 s past its limit.
 */
function nodeServerOptions(limits: LimitsConfig, timeouts: TimeoutsConfig) {
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
function answerClientError(error: Error & { code?: string }, socket: Socket): void {
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
function installRequestLimits(server: FastifyInstance, limits: LimitsConfig): void {
  const maxBody = limits.maxRequestBody;
  server.addHook('onRequest', async (request, reply) => {
    const target = request.raw.url ?? '';
    if (target.length > limits.maxUrlLength) {
      return sendError(reply, wantsHtml(request), { status: 414, error: 'uri_too_long', message: 'The request target is too long.' });
    }
    if (maxBody > 0 && declaredLength(request.raw) > maxBody) {
      return refuseBody(reply, wantsHtml(request));
    }
    return undefined;
  });
  if (maxBody <= 0) {
    return;
  }
  server.addHook('preParsing', async (request, reply, payload) => {
    const context = request.portcullis;
    // Only a body on its way to an upstream, and only one without a length Node already enforces.
    if (context === null || context.forwardedAt === null || request.headers['transfer-encoding'] === undefined) {
      return payload;
    }
    return payload.pipe(
      new BodyLimit(maxBody, () => {
        context.outcome = 'reject';
        if (!reply.sent) {
          refuseBody(reply, context.wantsHtml);
        }
      }),
    );
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
