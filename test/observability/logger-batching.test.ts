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

  it('keeps an info line back for a moment (batching), which is what the above rely on', () => {
    expect(logged(`logger.info('unwritten'); ${KILL_AFTER(10)}`)).toEqual([]);
  });
});
