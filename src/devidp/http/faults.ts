import type { ServerResponse } from 'node:http';

import type { DevIdpEndpoint } from '../types.js';

/** Call counters and injected faults, per endpoint; flipped by tests, read on every request. */
export class FaultBoard {
  readonly #calls = new Map<DevIdpEndpoint, number>();
  #total = 0;
  readonly #failures = new Map<DevIdpEndpoint, number>();
  readonly #stalls = new Map<DevIdpEndpoint, number>();

  count(endpoint: DevIdpEndpoint | undefined): void {
    this.#total += 1;
    if (endpoint !== undefined) this.#calls.set(endpoint, (this.#calls.get(endpoint) ?? 0) + 1);
  }

  calls(endpoint?: DevIdpEndpoint): number {
    return endpoint === undefined ? this.#total : (this.#calls.get(endpoint) ?? 0);
  }

  resetCalls(): void {
    this.#calls.clear();
    this.#total = 0;
  }

  fail(endpoint: DevIdpEndpoint, status: number): void {
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new RangeError(`failEndpoint needs an HTTP error status (400-599), got ${status}`);
    }
    this.#failures.set(endpoint, status);
  }

  stall(endpoint: DevIdpEndpoint, ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`stallEndpoint needs a delay >= 0 ms, got ${ms}`);
    this.#stalls.set(endpoint, ms);
  }

  /** Ends an injected failure of one endpoint; stalls and other endpoints stay. */
  clearFailure(endpoint: DevIdpEndpoint): void {
    this.#failures.delete(endpoint);
  }

  clear(): void {
    this.#failures.clear();
    this.#stalls.clear();
  }

  failure(endpoint: DevIdpEndpoint): number | undefined {
    return this.#failures.get(endpoint);
  }

  stallFor(endpoint: DevIdpEndpoint): number {
    return this.#stalls.get(endpoint) ?? 0;
  }
}

/** Resolves after `ms`, or early with 'closed' when the client or a shutdown closes the connection. */
export function pause(ms: number, res: ServerResponse): Promise<'elapsed' | 'closed'> {
  return new Promise((resolve) => {
    const onClose = () => {
      clearTimeout(timer);
      resolve('closed');
    };
    const timer = setTimeout(() => {
      res.off('close', onClose);
      resolve('elapsed');
    }, ms);
    res.once('close', onClose);
  });
}
