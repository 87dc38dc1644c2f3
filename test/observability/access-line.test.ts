import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createAccessLogWriter, createLogger, deferredChildLogger, type AccessLine, type Logger } from '../../src/observability/index.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _e, cb) {
      lines.push(...chunk.toString().split('\n').filter((line) => line !== ''));
      cb();
    },
  });
  return { destination, lines };
}

function loggerAt(level: string): { logger: Logger; lines: string[] } {
  const sink = capture();
  return { logger: createLogger({ config: { level, format: 'json' }, destination: sink.destination }) as Logger, lines: sink.lines };
}

/** The line without its time, which differs between two writes. */
const timeless = (line: string): string => line.replace(/,"time":\d+/, '');

const LINES: readonly AccessLine[] = [
  { app: 'app', method: 'GET', path: '/private', status: 200, outcome: 'allow', authMethod: 'session', user: 'bob', client: '127.0.0.1', durationMs: 1.25 },
  { app: null, method: 'PROPFIND', path: null, status: 400, outcome: null, authMethod: null, user: null, client: '::1', durationMs: 0 },
  // Values a user or client controls: quotes, backslashes, control characters, non-ASCII.
  { app: 'a"b', method: 'GET', path: '/caf\u00e9/\u2028"\\', status: 403, outcome: 'deny', authMethod: 'basic', user: 'mal\u0000"lory\n', client: '10.0.0.1', durationMs: 12.5 },
  { app: 'app', method: 'GET', path: '/', status: 200, outcome: 'allow', authMethod: 'bearer', user: 'x'.repeat(300), client: '10.0.0.1', durationMs: Number.NaN },
  // At the edges of what is written unescaped: DEL, a tab, a lone surrogate, a backslash alone.
  { app: 'x\\y', method: 'M-SEARCH', path: '/~!#$%&()*+,;=@[]^_`{|}', status: 200, outcome: 'allow', authMethod: 'basic', user: '\u007f\t\ud800', client: 'fe80::1%eth0', durationMs: 3 },
];

describe('access line', () => {
  it.each(LINES.map((line) => [line.path, line] as const))('is the line pino writes for the same fields (%s)', (_path, line) => {
    const { logger, lines } = loggerAt('info');
    createAccessLogWriter(logger)('req-1f', line);
    logger.child({ reqId: 'req-1f' }).info(line, 'request');
    expect(lines).toHaveLength(2);
    expect(timeless(lines[0]!)).toBe(timeless(lines[1]!));
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 30, service: 'portcullis', reqId: 'req-1f', msg: 'request', status: line.status });
  });

  it('writes every duration as String writes it', () => {
    const { logger, lines } = loggerAt('info');
    const write = createAccessLogWriter(logger);
    const durations = [0, 0.01, 0.05, 0.1, 1, 1.5, 1.05, 12.34, 99.99, 100, 1234.5, 86_400_000.01, 0.004, 1e300, -1, Number.POSITIVE_INFINITY];
    for (let i = 0; i < 20_000; i += 7) durations.push(Math.round(i * 1.37 * 100) / 100);
    for (const durationMs of durations) write('req-d', { ...LINES[0]!, durationMs });
    expect(lines.map((line) => /"durationMs":([^,]+),/.exec(line)?.[1])).toEqual(durations.map((d) => (Number.isFinite(d) ? String(d) : 'null')));
  });

  it('writes nothing below the logger level, and follows a level changed later (reload)', () => {
    const { logger, lines } = loggerAt('warn');
    const write = createAccessLogWriter(logger);
    write('req-1', LINES[0]!);
    expect(lines).toHaveLength(0);
    logger.level = 'info';
    write('req-2', LINES[0]!);
    expect(lines.map((line) => JSON.parse(line).reqId)).toEqual(['req-2']);
  });
});

describe('deferred request logger', () => {
  it('writes what a pino child with the same bindings writes', () => {
    const { logger, lines } = loggerAt('info');
    const deferred = deferredChildLogger(logger, { reqId: 'req-7' }, {});
    deferred.warn({ err: { message: 'boom' } }, 'upstream request failed');
    deferred.info('client closed the connection');
    logger.child({ reqId: 'req-7' }).warn({ err: { message: 'boom' } }, 'upstream request failed');
    logger.child({ reqId: 'req-7' }).info('client closed the connection');
    expect(lines.map(timeless)).toEqual([lines[2], lines[3], lines[2], lines[3]].map((line) => timeless(line!)));
  });

  it('makes no child for a line below the level, and follows the parent level until it has one', () => {
    const { logger, lines } = loggerAt('info');
    const deferred = deferredChildLogger(logger, { reqId: 'req-8' }, {});
    let children = 0;
    const child = logger.child.bind(logger);
    logger.child = ((...args: Parameters<Logger['child']>) => {
      children += 1;
      return child(...args);
    }) as Logger['child'];
    deferred.debug('not written');
    expect(children).toBe(0);
    expect(deferred.level).toBe('info');
    deferred.info('written');
    expect(children).toBe(1);
    deferred.level = 'debug';
    deferred.debug('now written');
    expect(lines.map((line) => JSON.parse(line).msg)).toEqual(['written', 'now written']);
    expect(logger.level).toBe('info');
  });
});
