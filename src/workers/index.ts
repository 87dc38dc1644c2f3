/**
 * `workers: N`: several gateway processes on one port (node:cluster). The primary forks,
 * supervises and serves the operations listener; each worker runs the gateway as a single
 * process would and answers its primary over IPC.
 */

export { workerCount } from './count.js';
export { NO_PRETENURING_FLAG, turnOffPretenuring, workerExecArgv, YOUNG_GENERATION_FLAG } from './heap-flags.js';
export { signalControls, untilSignal, type Controls } from './controls.js';
export { runPrimary, type PrimaryOptions } from './primary.js';
export { DEFAULT_BACKOFF, RestartBackoff, type BackoffPolicy } from './backoff.js';
export { isWorkerProcess, joinPrimary, type ServedGateway, type WorkerBindings, type WorkerLink } from './worker.js';
export type { GatewayUrls } from './messages.js';
