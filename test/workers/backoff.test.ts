import { describe, expect, it } from 'vitest';
import { RestartBackoff, workerCount } from '../../src/workers/index.js';

describe('RestartBackoff', () => {
  const policy = { baseMs: 250, maxMs: 2_000, healthyAfterMs: 10_000 };

  it('replaces a first death at once, then doubles the wait of deaths in a row up to the cap', () => {
    const backoff = new RestartBackoff(policy);
    expect([1, 2, 3, 4, 5, 6].map(() => backoff.next(50))).toEqual([0, 250, 500, 1_000, 2_000, 2_000]);
  });

  it('starts again after a worker that lived long enough (no crash loop)', () => {
    const backoff = new RestartBackoff(policy);
    backoff.next(50);
    expect(backoff.next(50)).toBe(250);
    expect(backoff.next(10_000)).toBe(0);
    expect(backoff.next(50)).toBe(250);
  });
});

describe('workerCount', () => {
  it('takes a number as it is and auto as the cores, at least one', () => {
    expect(workerCount(3, 8)).toBe(3);
    expect(workerCount('auto', 8)).toBe(8);
    expect(workerCount('auto', 0)).toBe(1);
  });
});
