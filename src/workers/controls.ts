/**
 * What tells a running gateway to reload, re-fetch or stop. A single process listens to signals;
 * a worker of `workers: N` listens to its primary too (worker.ts).
 */

export interface Controls {
  /** SIGHUP (or the primary's reload): re-read the configuration. */
  onReload(handler: () => void): void;
  /** SIGUSR1 (or the primary's refresh): authentik mode re-fetches from the API. */
  onRefresh(handler: () => void): void;
  /** Resolves with the first SIGTERM or SIGINT (a worker: also the one its primary sends). */
  untilStop(): Promise<string>;
  /**
   * Stops listening for reloads and refreshes (before draining), and for a stop not yet
   * received (a start that failed: the process must still die of a signal on its way out).
   */
  release(): void;
}

type Listen = (signal: NodeJS.Signals, handler: (signal: NodeJS.Signals) => void) => void;

/**
 * Resolves with the first SIGTERM or SIGINT. `listen` registers the handlers (by default on
 * `process`; signalControls passes its own, so that `release` can take them back).
 */
export function untilSignal(listen: Listen = (signal, handler) => process.on(signal, handler)): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve(signal);
    };
    listen('SIGTERM', onSignal);
    listen('SIGINT', onSignal);
  });
}

/** The controls of a process on its own: signals only. */
export function signalControls(): Controls {
  const installed: [NodeJS.Signals, (signal: NodeJS.Signals) => void][] = [];
  const on: Listen = (signal, handler) => {
    process.on(signal, handler);
    installed.push([signal, handler]);
  };
  return {
    onReload: (handler) => on('SIGHUP', handler),
    onRefresh: (handler) => on('SIGUSR1', handler),
    untilStop: () => untilSignal(on),
    release() {
      for (const [signal, handler] of installed.splice(0)) process.off(signal, handler);
    },
  };
}
