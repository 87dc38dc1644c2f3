import { describe, expect, it } from 'vitest';
import { workerExecArgv, YOUNG_GENERATION_FLAG } from '../../src/workers/index.js';

describe("a worker's Node flags", () => {
  it('give it a 64 MiB young generation, after the primary own flags', () => {
    expect(workerExecArgv(['--enable-source-maps'], '')).toEqual(['--enable-source-maps', YOUNG_GENERATION_FLAG]);
    expect(YOUNG_GENERATION_FLAG).toBe('--max-semi-space-size=64');
  });

  it("keep the operator's own size, on the command line or in NODE_OPTIONS", () => {
    expect(workerExecArgv(['--max-semi-space-size=16'], '')).toEqual(['--max-semi-space-size=16']);
    expect(workerExecArgv([], '--max_semi_space_size=8 --trace-warnings')).toEqual([]);
  });
});
