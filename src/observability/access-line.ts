/**
 * The access log's line, one per request, written straight to the logger's stream. pino's
 * generic path (a merge object walked key by key, a serializer lookup per key, the redaction
 * check, a child logger per request for its `reqId`) cost more than the rest of the
 * request's bookkeeping; this line has nine fixed fields, so it is built as one string. The
 * output is the line `request.log.info(fields, 'request')` writes: the same prefix, bindings,
 * keys in the same order, the same JSON values (test/observability/access-line.test.ts
 * compares the two).
 */

import { pino, type Logger } from 'pino';

/** The access log's fields, in the order they are written. Never a header value or a query. */
export interface AccessLine {
  readonly app: string | null;
  readonly method: string;
  readonly path: string | null;
  readonly status: number;
  readonly outcome: string | null;
  readonly authMethod: string | null;
  readonly user: string | null;
  readonly client: string;
  readonly durationMs: number;
}

/** Writes one access line for the request with this id (the `reqId` of its other lines). */
export type AccessLogWriter = (requestId: string, line: AccessLine) => void;

const symbols = pino.symbols;
const INFO = 30;
const MESSAGE = 'request';

/** The parts of a pino logger its own `write` reads; present on every pino logger. */
interface PinoParts {
  readonly [symbols.lsCacheSym]: Readonly<Record<number, string>>;
  readonly [symbols.timeSym]: () => string;
  readonly [symbols.chindingsSym]: string;
  readonly [symbols.streamSym]: NodeJS.WritableStream & { readonly [symbols.needsMetadataGsym]?: boolean };
  readonly [symbols.endSym]: string;
}

/**
 * @param requestIdLabel the key of the request id in every request's lines (Fastify's `reqId`).
 */
export function createAccessLogWriter(logger: Logger, requestIdLabel = 'reqId'): AccessLogWriter {
  const label = `,${JSON.stringify(requestIdLabel)}:`;
  const parts = logger as unknown as PinoParts;
  return (requestId, line) => {
    // Read on every line: a reload may change the level (SIGHUP).
    if (!logger.isLevelEnabled('info')) return;
    const stream = parts[symbols.streamSym];
    if (stream[symbols.needsMetadataGsym] === true) {
      // A stream that wants each line's level and object (pino.multistream) gets pino's own path.
      logger.child({ [requestIdLabel]: requestId }).info(line, MESSAGE);
      return;
    }
    stream.write(
      `${parts[symbols.lsCacheSym][INFO]}${parts[symbols.timeSym]()}${parts[symbols.chindingsSym]}${label}${quoted(requestId)}` +
        `,"app":${text(line.app)},"method":${quoted(line.method)},"path":${text(line.path)},"status":${number(line.status)}` +
        `,"outcome":${text(line.outcome)},"authMethod":${text(line.authMethod)},"user":${text(line.user)}` +
        `,"client":${quoted(line.client)},"durationMs":${milliseconds(line.durationMs)},"msg":"${MESSAGE}"${parts[symbols.endSym]}`,
    );
  };
}

function text(value: string | null): string {
  return value === null ? 'null' : quoted(value);
}

/** Printable ASCII other than `"` and `\`: what JSON.stringify writes between quotes unchanged. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** JSON.stringify for a string; the values of an access line nearly always need no escape, and a test is cheaper. */
function quoted(value: string): string {
  return PLAIN.test(value) ? `"${value}"` : JSON.stringify(value);
}

/** pino writes a number that is not finite as null. */
function number(value: number): string {
  return Number.isFinite(value) ? String(value) : 'null';
}

const MAX_EXACT_HUNDREDTHS = Number.MAX_SAFE_INTEGER / 100;

/**
 * A duration in hundredths of a millisecond, written as `String` writes it (`12`, `12.5`,
 * `12.05`) from integers: turning a fraction into its shortest decimal is the slow part of
 * writing a number, and every request's line has one.
 */
function milliseconds(value: number): string {
  const hundredths = Math.round(value * 100);
  if (!(value >= 0 && value < MAX_EXACT_HUNDREDTHS) || hundredths / 100 !== value) return number(value);
  const whole = Math.trunc(hundredths / 100);
  const rest = hundredths % 100;
  if (rest === 0) return String(whole);
  if (rest % 10 === 0) return `${whole}.${rest / 10}`;
  return `${whole}.${rest < 10 ? '0' : ''}${rest}`;
}
