/**
 * The memo behind Host routing, trusted-proxy checks, TLS server names and attribute headers:
 * it must hand back what was remembered, never hold more than its bound, and answer afresh
 * after it has started over.
 */

import { describe, expect, it } from 'vitest';
import { BoundedMemo } from '../../src/memo/index.js';

describe('BoundedMemo', () => {
  it('hands back remembered answers, null and false included', () => {
    const memo = new BoundedMemo<string, string | null | boolean>(8);
    expect(memo.get('a')).toBeUndefined();
    expect(memo.remember('a', null)).toBeNull();
    expect(memo.remember('b', false)).toBe(false);
    expect(memo.remember('c', 'x')).toBe('x');
    expect(memo.get('a')).toBeNull();
    expect(memo.get('b')).toBe(false);
    expect(memo.get('c')).toBe('x');
    expect(memo.size).toBe(3);
  });

  it('never holds more than its bound: when full it starts over with the new answer', () => {
    const memo = new BoundedMemo<string, number>(3);
    for (let i = 0; i < 3; i += 1) memo.remember(`k${i}`, i);
    expect(memo.size).toBe(3);
    memo.remember('k3', 3);
    expect(memo.size).toBe(1);
    expect(memo.get('k0')).toBeUndefined();
    expect(memo.get('k3')).toBe(3);
    for (let i = 0; i < 10_000; i += 1) {
      memo.remember(`flood${i}`, i);
      expect(memo.size).toBeLessThanOrEqual(3);
    }
  });

  it('forgets everything on clear', () => {
    const memo = new BoundedMemo<string, number>(4);
    memo.remember('a', 1);
    memo.clear();
    expect(memo.size).toBe(0);
    expect(memo.get('a')).toBeUndefined();
  });

  it('treats a bound below one as one', () => {
    const memo = new BoundedMemo<string, number>(0);
    memo.remember('a', 1);
    memo.remember('b', 2);
    expect(memo.size).toBe(1);
    expect(memo.get('b')).toBe(2);
  });
});
