import type { Config } from '../config/index.js';

/** `workers` as a number of processes: `auto` is the cores this process may use. */
export function workerCount(workers: Config['workers'], cores: number): number {
  return workers === 'auto' ? Math.max(1, cores) : workers;
}
