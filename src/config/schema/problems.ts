import type { ValidationProblem } from '../../errors/index.js';
import type { Path } from './path.js';

/** Returned by a schema for a value it rejected; the problem has already been reported. */
export const INVALID: unique symbol = Symbol('invalid');
export type Invalid = typeof INVALID;

/**
 * Stands in for a string whose interpolation failed. The interpolation problem is already
 * reported, so schemas treat it as invalid without reporting it a second time.
 */
export const UNRESOLVED: unique symbol = Symbol('unresolved');

/** Collects every problem of one validation run, in discovery order, without duplicates. */
export class Problems {
  private readonly seen = new Set<string>();
  private readonly found: ValidationProblem[] = [];
  /** How many reports were made, duplicates included: lets a caller tell whether a step failed. */
  reports = 0;

  add(path: Path, message: string): void {
    this.reports += 1;
    const key = `${path.text}\u0000${message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.found.push({ path: path.text, message });
  }

  get list(): readonly ValidationProblem[] {
    return this.found;
  }
}

export interface Context {
  readonly problems: Problems;
  /** Only check what is present: no defaults, no required keys, no cross-key checks. */
  readonly partial: boolean;
  /** The whole (interpolated) document, for schemas whose meaning depends on another block. */
  readonly root: unknown;
  /**
   * Set by a configuration source that supplies applications itself (authentik's API): an empty
   * `applications` list then means "none yet", not a mistake.
   */
  readonly applicationsMayBeEmpty?: boolean;
}

const MAX_SHOWN = 80;

/** A value as shown in a problem message: JSON, shortened. Never call it on secrets. */
export function show(value: unknown): string {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 1)}…` : text;
}

/** What a secret value is, without what it says: "a string of 12 bytes", "a number". */
export function showSecret(value: unknown): string {
  if (typeof value === 'string') return `a string of ${Buffer.byteLength(value, 'utf8')} bytes`;
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a mapping' : `a ${typeof value}`;
}
