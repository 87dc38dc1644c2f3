/**
 * Integration tests run against real parts (DESIGN.md §9). When a part is missing on a
 * developer machine its suite is skipped with a message saying which part and why; under
 * `CI=true` a missing part is a failure, so CI can never go green by skipping.
 */

import { access, constants } from 'node:fs/promises';
import { describe, it } from 'vitest';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const REDIS_SERVER_PATH = '/usr/bin/redis-server';

/** `describe` when `problem` is null; otherwise a skipped suite (a failing one under CI=true). */
export function describeNeeding(part: string, problem: string | null, title: string, body: () => void): void {
  if (problem === null) {
    describe(title, body);
    return;
  }
  const message = `${part} is not available: ${problem}`;
  if (process.env.CI === 'true') {
    describe(title, () => {
      it(`needs ${part}`, () => {
        throw new Error(`${message} (CI=true: a missing real part fails the suite instead of skipping it)`);
      });
    });
    return;
  }
  console.warn(`[skipped] ${title}: ${message}`);
  describe.skip(`${title} (skipped: ${message})`, body);
}

/** null when `path` is an executable file, else why not. */
export async function executableProblem(path: string): Promise<string | null> {
  try {
    await access(path, constants.X_OK);
    return null;
  } catch (error) {
    return `${path} is not an executable (${error instanceof Error ? error.message : String(error)})`;
  }
}
