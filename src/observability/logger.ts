/**
 * The process logger. Credentials travel in a handful of headers; every path where one of
 * them could appear in a log line is redacted here, once, whatever a caller logs.
 */

import { pino, type LogFn, type Logger } from 'pino';
import type { LogConfig } from '../config/index.js';
import { LineBatch, type BatchTarget } from './line-batch.js';

const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-authentik-jwt'];

export const REDACTED_PATHS: readonly string[] = ['req.headers', 'res.headers', 'headers'].flatMap((parent) =>
  CREDENTIAL_HEADERS.map((header) => `${parent}["${header}"]`),
);

export type { Logger } from 'pino';

export interface LoggerOptions {
  readonly config: LogConfig;
  /** Where lines go; defaults to stdout. Tests pass a stream to read what was logged. */
  readonly destination?: NodeJS.WritableStream;
}

/**
 * Info and debug lines (the access log's among them: one per request) are written in batches
 * of at least this many bytes, and at least every `FLUSH_INTERVAL_MS`: each write is a
 * thread-pool round trip (a wake-up, a system call, a completion back on the event loop), which
 * costs more than building many lines. At 4 KiB (about 14 access lines) these round trips were
 * still about 4 % of the nginx decision endpoint's CPU; at 32 KiB they are an eighth of that.
 * Warnings and errors are written at once, and pending lines synchronously when the process exits.
 */
const BATCH_BYTES = 32 * 1024;
const FLUSH_INTERVAL_MS = 100;
const WARN = 40;

export function createLogger({ config, destination }: LoggerOptions): Logger {
  const pretty = config.format === 'pretty' && destination === undefined;
  const batched =
    pretty || destination !== undefined
      ? null
      : new LineBatch(stdoutStream(), { minLength: BATCH_BYTES, intervalMs: FLUSH_INTERVAL_MS });
  const options = {
    level: config.level,
    redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
    base: { service: 'portcullis' },
    hooks: {
      logMethod(this: Logger, args: Parameters<LogFn>, method: LogFn, level: number): void {
        method.apply(this, args);
        // The stream's own flush, without a callback: `logger.flush()` would leave a drain
        // listener per call while a write is under way.
        if (level >= WARN) batched?.flush();
      },
    },
  };
  if (pretty) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: false, singleLine: true, ignore: 'pid,hostname,service' } } });
  }
  // pino writes to anything with write/flush; LineBatch hands SonicBoom whole chunks of bytes.
  return pino(options, destination ?? (batched as NodeJS.WritableStream | null) ?? undefined);
}

/**
 * pino's own stdout stream (SonicBoom, with its handling of a closed pipe and of exit) in its
 * buffer mode, where `write` takes bytes: its typings describe the string mode only.
 */
function stdoutStream(): BatchTarget {
  const stream: unknown = pino.destination({ dest: 1, sync: false, minLength: BATCH_BYTES, maxWrite: 4 * BATCH_BYTES, periodicFlush: FLUSH_INTERVAL_MS, contentMode: 'buffer' });
  return stream as BatchTarget;
}

/** A stuck stdout (nobody reading the pipe) must not hold up start-up: past this, go on. */
const FLUSH_WAIT_MS = 1000;

/**
 * Resolves once the lines logged so far have been written (or could not be): for a line
 * another process acts on, such as a worker's "worker started" before it tells the primary
 * it listens, so that the primary's "portcullis started" never comes first on a shared stdout.
 */
export function flushed(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    const guard = setTimeout(resolve, FLUSH_WAIT_MS);
    guard.unref();
    logger.flush(() => {
      clearTimeout(guard);
      resolve();
    });
  });
}
