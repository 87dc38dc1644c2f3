/**
 * Reads the keys of one policy document, reporting each problem under its dotted key. Kinds
 * declare their keys through it, so an unknown key is caught in one place.
 */

import { childKey, INVALID, itemKey, regexProblem, show } from './problems.js';
import type { Invalid, Problems } from './problems.js';

export interface ListShape {
  /** How the problem names the expected list: "a list of group names". */
  readonly expected: string;
  /** Message when the list is empty. */
  readonly empty: string;
}

export class DocumentReader {
  constructor(
    private readonly doc: Readonly<Record<string, unknown>>,
    /** The document's own key: '' for a single-document file, `[2]` otherwise. */
    readonly at: string,
    readonly problems: Problems,
  ) {}

  has(key: string): boolean {
    return Object.hasOwn(this.doc, key);
  }

  key(key: string): string {
    return childKey(this.at, key);
  }

  /** Reports a problem about a key ('' for the document itself). */
  fail(key: string, message: string): Invalid {
    return this.problems.add(key === '' ? this.at : this.key(key), message);
  }

  /** A required key's raw value, or INVALID (reported as `required`). */
  required(key: string): unknown {
    return this.has(key) ? this.doc[key] : this.fail(key, 'required');
  }

  /** An optional key's raw value, or undefined when absent. */
  optional(key: string): unknown {
    return this.has(key) ? this.doc[key] : undefined;
  }

  /** A required non-empty string. */
  string(key: string, expected: string): string | Invalid {
    const value = this.required(key);
    if (value === INVALID) return INVALID;
    if (typeof value !== 'string' || value === '') return this.fail(key, `expected ${expected}, got ${show(value)}`);
    return value;
  }

  /**
   * A non-empty list whose items each pass `item`; every bad item is reported.
   * Returns undefined for an absent optional key.
   */
  list<T>(
    key: string,
    shape: ListShape,
    item: (value: unknown, at: string) => T | Invalid,
    presence: 'required' | 'optional' = 'required',
  ): readonly T[] | Invalid | undefined {
    if (presence === 'optional' && !this.has(key)) return undefined;
    const value = this.required(key);
    if (value === INVALID) return INVALID;
    if (!Array.isArray(value)) return this.fail(key, `expected ${shape.expected}, got ${show(value)}`);
    if (value.length === 0) return this.fail(key, shape.empty);
    const raw: readonly unknown[] = value;
    const items = raw.map((v, i) => item(v, itemKey(this.key(key), i)));
    return items.some((v) => v === INVALID) ? INVALID : (items as T[]);
  }

  /** A list item that must be a non-empty string. */
  stringItem(expected: string): (value: unknown, at: string) => string | Invalid {
    return (value, at) =>
      typeof value === 'string' && value !== '' ? value : this.problems.add(at, `expected ${expected}, got ${show(value)}`);
  }

  /** A list item that must be a JavaScript regular expression; compiled once, here. */
  regexItem(): (value: unknown, at: string) => RegExp | Invalid {
    return (value, at) => compileRegex(value, at, this.problems);
  }
}

/** A regular expression source compiled once at load; the request path only runs it. */
export function compileRegex(value: unknown, at: string, problems: Problems): RegExp | Invalid {
  if (typeof value !== 'string') return problems.add(at, `expected a regular expression, got ${show(value)}`);
  const reason = regexProblem(value);
  if (reason !== null) return problems.add(at, `expected a regular expression, got ${show(value)} (${reason})`);
  return new RegExp(value);
}
