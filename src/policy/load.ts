/**
 * The I/O shell of loading: reads every `*.yaml` / `*.yml` file of the folder (not hidden
 * files, not subfolders) and hands the texts to `buildPolicySet`.
 */

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ValidationProblem } from '../errors/index.js';
import { policiesInvalid } from './errors.js';
import { buildPolicySet, fileLabel } from './parse.js';
import type { PolicyFile } from './parse.js';
import type { PolicySet } from './types.js';

/** `staff.yaml`, `staff.yml`; not `.#staff.yaml` (an editor's lock file) nor `staff.yaml~`. */
export function isPolicyFileName(name: string): boolean {
  return !name.startsWith('.') && (name.endsWith('.yaml') || name.endsWith('.yml'));
}

/**
 * Loads and compiles the policies of `dir`. A folder that does not exist gives an empty set
 * (applications that bind nothing need no folder); binding a policy then fails naming the
 * binding. A folder that cannot be read, or any problem in any file, is one ValidationError.
 */
export async function loadPolicies(dir: string): Promise<PolicySet> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT') return buildPolicySet(dir, [], { found: false, problems: [] });
    const message = code === 'ENOTDIR' ? 'expected a folder of policy files, got a file' : `cannot read the folder (${code})`;
    throw policiesInvalid(dir, [{ path: dir, message }]);
  }
  const files: PolicyFile[] = [];
  const problems: ValidationProblem[] = [];
  for (const name of entries.filter(isPolicyFileName).sort()) {
    try {
      // readFile follows symbolic links: Kubernetes mounts ConfigMap keys as links.
      files.push({ name, text: await readFile(join(dir, name), 'utf8') });
    } catch (error) {
      const code = errorCode(error);
      // A folder named *.yaml, or a file removed between listing and reading: nothing to load.
      if (code === 'EISDIR' || code === 'ENOENT') continue;
      problems.push({ path: fileLabel(dir, name), message: `cannot read the file (${code})` });
    }
  }
  return buildPolicySet(dir, files, { found: true, problems });
}

export function errorCode(error: unknown): string {
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  return typeof code === 'string' ? code : 'unknown error';
}
