/** Free ports and polling with a deadline, instead of fixed sleeps. */

import { createServer } from 'node:net';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Calls `check` every `intervalMs` until it returns true; fails after `timeoutMs` naming
 * `what`. An exception thrown by `check` counts as "not yet" until the deadline, when it
 * becomes the failure's cause.
 */
export async function pollUntil(what: string, check: () => Promise<boolean> | boolean, options: { timeoutMs?: number; intervalMs?: number } = {}): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
      last = undefined;
    } catch (error) {
      last = error;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out waiting until ${what}`, last === undefined ? undefined : { cause: last });
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
}

/** Resolves once the wall clock has passed `epochMs` (token expiry is wall-clock time at the IdP). */
export async function clockPast(epochMs: number): Promise<void> {
  await pollUntil(`the clock passes ${new Date(epochMs).toISOString()}`, () => Date.now() > epochMs, { timeoutMs: 60_000, intervalMs: 25 });
}
