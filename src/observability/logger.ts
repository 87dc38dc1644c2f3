/**
 * The process logger. Credentials travel in a handful of headers; every path where one of
 * them could appear in a log line is redacted here, once, whatever a caller logs.
 */

import { pino, type Logger } from 'pino';
import type { LogConfig } from '../config/index.js';

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

export function createLogger({ config, destination }: LoggerOptions): Logger {
  const options = {
    level: config.level,
    redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
    base: { service: 'portcullis' },
  };
  if (config.format === 'pretty' && destination === undefined) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: false, singleLine: true, ignore: 'pid,hostname,service' } } });
  }
  return destination === undefined ? pino(options) : pino(options, destination);
}
