/**
 * The V8 heap settings a gateway process runs best with, unless the operator chose otherwise:
 * on the command line of each worker (`workerExecArgv`), and set by a single `portcullis run`
 * in its own process where V8 allows that (`turnOffPretenuring`). docs/operations.md, "Node's
 * young generation", has the measurements.
 */

import { setFlagsFromString } from 'node:v8';

/**
 * A worker's young generation: 64 MiB semi-spaces unless the operator chose a size. With V8's
 * default (16 MiB), a gateway under load keeps promoting the objects of requests in flight to the
 * old generation, and scavenges cost it about a fifth of a request's CPU. Fixed when the heap is
 * set up, so a process that is already running cannot change its own.
 */
export const YOUNG_GENERATION_FLAG = '--max-semi-space-size=64';

/**
 * No allocation-site pretenuring unless the operator asked for it: V8 may decide, under load,
 * to allocate some per-request object in the old generation, after which everything that object
 * points to survives every scavenge until the next full collection; in bench/gc-state.mjs that
 * state cost ~25 µs of scavenges per request instead of ~2, in a third to a half of the gateways.
 */
export const NO_PRETENURING_FLAG = '--no-allocation-site-pretenuring';

const NAMES_YOUNG_GENERATION = /^--max[-_]semi[-_]space[-_]size(=|$)/;
const NAMES_PRETENURING = /^--(no[-_])?allocation[-_]site[-_]pretenuring$/;

export function workerExecArgv(execArgv: readonly string[], nodeOptions: string): string[] {
  const given = [...execArgv, ...nodeOptions.split(/\s+/)];
  const chosen = (pattern: RegExp): boolean => given.some((arg) => pattern.test(arg));
  return [...execArgv, ...(chosen(NAMES_YOUNG_GENERATION) ? [] : [YOUNG_GENERATION_FLAG]), ...(chosen(NAMES_PRETENURING) ? [] : [NO_PRETENURING_FLAG])];
}

/**
 * Turns allocation-site pretenuring off in this process, as workers have it, unless its command
 * line names the flag either way (Node refuses it in NODE_OPTIONS, so the command line is the
 * only place an operator can have chosen). V8 consults the flag before each pretenuring
 * decision, so set at start-up, before the gateway exists, no site of the gateway's is ever
 * tenured (a site tenured earlier would stay so: hence first thing); a `portcullis run` started
 * by hand no longer depends on being started with it. Returns whether it was set.
 */
export function turnOffPretenuring(execArgv: readonly string[], setFlags: (flags: string) => void = setFlagsFromString): boolean {
  if (execArgv.some((arg) => NAMES_PRETENURING.test(arg))) {
    return false;
  }
  setFlags(NO_PRETENURING_FLAG);
  return true;
}
