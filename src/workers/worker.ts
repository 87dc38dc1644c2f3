/**
 * The worker's side of `workers: N`: it runs the gateway as a single process would, takes
 * reloads, refreshes and the drain from its primary as well as from signals, and answers the
 * primary's questions for the operations listener (readiness, metrics) over IPC.
 */

import cluster from 'node:cluster';
import type { Registry } from 'prom-client';
import type { Controls } from './controls.js';
import { isToWorker, type GatewayUrls, type ToPrimary, type ToWorker } from './messages.js';

/** After its command ended, how long a worker may take to exit on its own. */
const LEAVE_GRACE_MS = 2_000;

/** What the primary asks a worker about; the gateway provides both. */
export interface ServedGateway {
  isReady(): boolean;
  readonly metrics: Registry;
}

/** Which process wrote a log line. */
export interface WorkerBindings {
  readonly role: 'worker';
  /** The cluster's worker id: 1…N for the first workers, higher for replacements. */
  readonly worker: number;
  readonly pid: number;
}

export interface WorkerLink {
  readonly bindings: WorkerBindings;
  readonly controls: Controls;
  /** From now on, the primary's questions are answered from `gateway` (before: not ready, no metrics). */
  serve(gateway: ServedGateway): void;
  /** Tells the primary this worker's listeners are open. */
  listening(urls: GatewayUrls): void;
  /**
   * The command is over (drained, or failed to start): closes the IPC channel so the process
   * exits with its own exit code once idle, and makes sure it does exit soon after, whatever a
   * failed start-up left open.
   */
  leave(): void;
}

/** True in a process the cluster primary forked. */
export function isWorkerProcess(): boolean {
  return cluster.isWorker;
}

/**
 * Starts listening to the primary at once, before the configuration is loaded: a question
 * asked during start-up gets "not ready" rather than no answer.
 */
export function joinPrimary(): WorkerLink {
  const worker = cluster.worker;
  if (worker === undefined) throw new Error('joinPrimary() outside a cluster worker');
  let served: ServedGateway | null = null;
  const reloads: (() => void)[] = [];
  const refreshes: (() => void)[] = [];
  let refreshOnSignal = false;
  let stopRequested: ((reason: string) => void) | null = null;
  const stop = new Promise<string>((resolve) => {
    stopRequested = resolve;
  });
  const requestStop = (reason: string): void => {
    stopRequested?.(reason);
    stopRequested = null;
  };
  const send = (message: ToPrimary): void => {
    if (process.connected) process.send?.(message);
  };
  const answer = async (question: Extract<ToWorker, { portcullis: 'ask' }>): Promise<void> => {
    if (question.what === 'readiness') {
      send({ portcullis: 'ready-answer', id: question.id, ready: served?.isReady() ?? false });
      return;
    }
    send({ portcullis: 'metrics-answer', id: question.id, metrics: served === null ? [] : await served.metrics.getMetricsAsJSON() });
  };
  process.on('message', (message: unknown) => {
    if (!isToWorker(message)) return;
    switch (message.portcullis) {
      case 'ask':
        void answer(message).catch(() => undefined);
        break;
      case 'reload':
        for (const handler of reloads) handler();
        break;
      case 'refresh':
        for (const handler of refreshes) handler();
        break;
    }
  });
  // Stay installed for the whole life of the worker: a terminal's Ctrl-C reaches the primary and
  // every worker at once, and the primary then sends SIGTERM too; neither the second signal nor
  // a SIGHUP while draining may kill a worker in the middle of its requests.
  const onStop = (signal: NodeJS.Signals): void => requestStop(signal);
  process.on('SIGTERM', onStop);
  process.on('SIGINT', onStop);
  process.on('SIGHUP', () => {
    for (const handler of reloads) handler();
  });
  return {
    bindings: { role: 'worker', worker: worker.id, pid: process.pid },
    controls: {
      onReload: (handler) => reloads.push(handler),
      onRefresh(handler) {
        // Only when asked for (authentik mode): otherwise SIGUSR1 keeps Node's meaning.
        if (!refreshOnSignal) process.on('SIGUSR1', () => refreshes.forEach((refresh) => refresh()));
        refreshOnSignal = true;
        refreshes.push(handler);
      },
      untilStop: () => stop,
      release() {
        reloads.length = 0;
        refreshes.length = 0;
      },
    },
    serve(gateway) {
      served = gateway;
    },
    listening(urls) {
      send({ portcullis: 'listening', urls });
    },
    leave() {
      process.off('SIGTERM', onStop);
      process.off('SIGINT', onStop);
      if (process.connected) worker.disconnect();
      // Unreferenced: a worker that ends on its own is not held up; `process.exitCode` is kept.
      setTimeout(() => process.exit(), LEAVE_GRACE_MS).unref();
    },
  };
}
