/**
 * Problems found in policy files, each under the dotted key it concerns (`[2].cidrs[0]`), and
 * how values are shown in them. Every problem of every file is collected before anything is
 * reported, so an operator fixes a folder in one pass.
 */

/** Returned by a check for a value it rejected; the problem has already been reported. */
export const INVALID: unique symbol = Symbol('invalid');
export type Invalid = typeof INVALID;

export interface KeyProblem {
  /** Dotted key inside the file ('' for the whole document or file). */
  readonly key: string;
  readonly message: string;
}

export class Problems {
  private readonly found: KeyProblem[] = [];

  add(key: string, message: string): Invalid {
    this.found.push({ key, message });
    return INVALID;
  }

  get list(): readonly KeyProblem[] {
    return this.found;
  }

  get count(): number {
    return this.found.length;
  }
}

const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;

/** `base.name`, or `base["odd name"]` when the name would be ambiguous as a dotted key. */
export function childKey(base: string, name: string): string {
  if (!PLAIN_KEY.test(name)) return `${base}[${JSON.stringify(name)}]`;
  return base === '' ? name : `${base}.${name}`;
}

export function itemKey(base: string, index: number): string {
  return `${base}[${index}]`;
}

/** A value as shown in a problem message, exactly as configuration problems show values. */
export { showValue as show } from '../config/index.js';

/** The reason a `RegExp` constructor gave, without the pattern it repeats. */
export function regexProblem(pattern: string): string | null {
  try {
    new RegExp(pattern);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message.replace(/^.*: /, '') : String(error);
  }
}
