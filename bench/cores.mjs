/**
 * Pinning processes to cores (Linux, `taskset` from util-linux), for the paired measurement of
 * bench/run.mjs: the two servers of a pair share one core, so that whatever the machine does
 * to that core while they run (another tenant, a frequency change) it does to both.
 */

import { spawnSync } from 'node:child_process';
import os from 'node:os';

/** The core the pairs run on and the cores everything else runs on; null when pinning is not possible, with why. */
export function pairCores() {
  const count = os.cpus().length;
  if (process.platform !== 'linux' || spawnSync('taskset', ['-V']).status !== 0) return { cores: null, why: 'no taskset (util-linux) on this machine' };
  if (count < 2) return { cores: null, why: 'one core' };
  const all = Array.from({ length: count }, (_, cpu) => cpu);
  return { cores: { pair: String(count - 1), rest: all.slice(0, -1).join(','), all: all.join(',') }, why: null };
}

/** Pins every thread of these processes to these cores (`taskset -a -p -c`). */
export function pin(pids, cpus) {
  for (const pid of pids) {
    const out = spawnSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { encoding: 'utf8' });
    if (out.status !== 0) throw new Error(`taskset -a -p -c ${cpus} ${pid} failed: ${out.stderr}`);
  }
}
