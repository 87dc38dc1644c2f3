/**
 * The process logger batches info lines (observability/logger.ts), so what it promises about
 * when a line reaches stdout is checked in a real process: warnings at once (with what was
 * pending), info lines within the flush interval, and everything pending when the process exits.
 */

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const LOGGER = new URL('../../dist/observability/index.js', import.meta.url).href;

/** Runs `body` in a fresh Node process with `logger` in scope; returns the `msg` of each stdout line. */
function logged(body: string): string[] {
  const script = `const { createLogger } = await import(${JSON.stringify(LOGGER)});
const logger = createLogger({ config: { level: 'info', format: 'json' } });
${body}`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 10_000 });
  return run.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => (JSON.parse(line) as { msg: string }).msg);
}

// SIGKILL ends the process with no exit handler: only what was already written survives.
const KILL_AFTER = (ms: number) => `setTimeout(() => process.kill(process.pid, 'SIGKILL'), ${ms});`;

describe('the process logger', () => {
  it('writes a warning at once, with the info lines before it', () => {
    expect(logged(`logger.info('first'); logger.warn('second'); ${KILL_AFTER(20)}`)).toEqual(['first', 'second']);
  });

  it('writes info lines within its flush interval', () => {
    expect(logged(`logger.info('only'); ${KILL_AFTER(400)}`)).toEqual(['only']);
  });

  it('writes what is pending when the process exits', () => {
    expect(logged(`logger.info('last words'); process.exit(0);`)).toEqual(['last words']);
  });

  // Lines are gathered into chunks before the stream gets them (observability/line-batch.ts):
  // every line, in order, whole, whichever way the process ends.
  const MANY = `for (let i = 0; i < 3000; i += 1) logger.info(i % 7 === 0 ? 'zeile ' + i + ' – ü' : 'line ' + i);`;
  const expected = Array.from({ length: 3000 }, (_, i) => (i % 7 === 0 ? `zeile ${i} – ü` : `line ${i}`));

  it('writes thousands of lines whole and in order when the process exits at once', () => {
    expect(logged(`${MANY} process.exit(0);`)).toEqual(expected);
  });

  it('writes thousands of lines whole and in order when the process runs out of work', () => {
    expect(logged(MANY)).toEqual(expected);
  });

  it('writes thousands of lines whole and in order within its flush interval', () => {
    expect(logged(`${MANY} ${KILL_AFTER(600)}`)).toEqual(expected);
  });

  // Not with process.exit() right after: a line longer than a batch is written at once,
  // asynchronously, and one still being written when the process exits can land after the
  // lines written synchronously at exit (the stream's behaviour, with or without the chunks).
  it('keeps a line longer than a chunk whole and in its place', () => {
    const giant = `'g'.repeat(30000) + 'ü'`;
    const out = logged(`logger.info('before'); logger.info(${giant}); logger.info('after');`);
    expect(out).toEqual(['before', `${'g'.repeat(30000)}ü`, 'after']);
  });

  it('writes the lines before a warning with it, even past a chunk', () => {
    expect(logged(`${MANY} logger.warn('warned'); ${KILL_AFTER(50)}`)).toEqual([...expected, 'warned']);
  });

  it('keeps an info line back for a moment (batching), which is what the above rely on', () => {
    expect(logged(`logger.info('unwritten'); ${KILL_AFTER(10)}`)).toEqual([]);
  });
});
