/**
 * Builds `dist/` once before the suite: the CLI tests run the real `portcullis` binary,
 * and a stale build would test yesterday's code.
 */

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  // For quick iterations on tests that do not run the binary.
  if (process.env.PORTCULLIS_TEST_NO_BUILD === '1') {
    return;
  }
  const root = fileURLToPath(new URL('..', import.meta.url));
  execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', 'tsconfig.json'], { stdio: 'inherit', cwd: root });
}
