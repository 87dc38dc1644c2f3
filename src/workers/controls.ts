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
  /** Stops listening for reloads and refreshes (before draining). */
  release(): void;
}

/** Resolves with the first SIGTERM or SIGINT. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

/** The controls of a process on its own: signals only. */
export function signalControls(): Controls {
  const installed: [NodeJS.Signals, () => void][] = [];
  const on = (signal: NodeJS.Signals, handler: () => void): void => {
    process.on(signal, handler);
    installed.push([signal, handler]);
  };
  return {
    onReload: (handler) => on('SIGHUP', handler),
    onRefresh: (handler) => on('SIGUSR1', handler),
    untilStop: untilSignal,
    release() {
      for (const [signal, handler] of installed.splice(0)) process.off(signal, handler);
    },
  };
}
