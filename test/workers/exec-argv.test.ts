import { describe, expect, it } from 'vitest';
import { NO_PRETENURING_FLAG, workerExecArgv, YOUNG_GENERATION_FLAG } from '../../src/workers/index.js';

describe("a worker's Node flags", () => {
  it('give it a 64 MiB young generation and no allocation-site pretenuring, after the primary own flags', () => {
    expect(workerExecArgv(['--enable-source-maps'], '')).toEqual(['--enable-source-maps', YOUNG_GENERATION_FLAG, NO_PRETENURING_FLAG]);
    expect(YOUNG_GENERATION_FLAG).toBe('--max-semi-space-size=64');
    expect(NO_PRETENURING_FLAG).toBe('--no-allocation-site-pretenuring');
  });

  it("keep the operator's own size, on the command line or in NODE_OPTIONS", () => {
    expect(workerExecArgv(['--max-semi-space-size=16'], '')).toEqual(['--max-semi-space-size=16', NO_PRETENURING_FLAG]);
    expect(workerExecArgv([], '--max_semi_space_size=8 --trace-warnings')).toEqual([NO_PRETENURING_FLAG]);
  });

  it("keep the operator's own pretenuring choice, either way", () => {
    expect(workerExecArgv(['--allocation-site-pretenuring'], '')).toEqual(['--allocation-site-pretenuring', YOUNG_GENERATION_FLAG]);
    // Node refuses it in NODE_OPTIONS, so only the primary's own flags can name it.
    expect(workerExecArgv(['--no_allocation_site_pretenuring'], '')).toEqual(['--no_allocation_site_pretenuring', YOUNG_GENERATION_FLAG]);
  });
});
