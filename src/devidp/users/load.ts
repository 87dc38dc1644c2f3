import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

import { parse } from 'yaml';

import { PortcullisError, ValidationError } from '../../errors/index.js';
import type { UsersFile } from '../types.js';
import { parseUsersFile } from './file.js';

/**
 * Reads and validates a users file. Unreadable or non-YAML files are reported like validation
 * problems (PCL_USERS_INVALID naming the file), so callers handle one error type.
 */
export async function loadUsersFile(path: string): Promise<UsersFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new ValidationError('PCL_USERS_INVALID', path, [{ path: '', message: `cannot read the file: ${reason(cause)}` }]);
  }
  let raw: unknown;
  try {
    // uniqueKeys: a repeated key in a mapping is a mistake, not "last one wins".
    raw = parse(text, { uniqueKeys: true, prettyErrors: true });
  } catch (cause) {
    throw new ValidationError('PCL_USERS_INVALID', path, [{ path: '', message: `not valid YAML: ${reason(cause)}` }]);
  }
  return parseUsersFile(raw ?? {}, path, { baseDir: dirname(path) });
}

function reason(cause: unknown): string {
  if (cause instanceof PortcullisError) return cause.message;
  return cause instanceof Error ? cause.message.split('\n')[0] ?? cause.message : String(cause);
}
