/** Scalar schemas: strings, enums, booleans, durations, regular expressions. */

import { RE2JS } from 're2js';
import { parseDuration } from '../duration.js';
import { leaf, type Fail } from './core.js';
import type { Schema } from './core.js';
import type { Invalid } from './problems.js';
import { show, showSecret } from './problems.js';

export interface StringOptions {
  /** Name in the reference; default "string". */
  readonly type?: string;
  /** Never show the value in a problem, only its kind and length. */
  readonly secret?: boolean;
  readonly nonEmpty?: boolean;
  /** Minimum length in UTF-8 bytes. */
  readonly minBytes?: number;
  /** The value must match `re`; the problem reads `expected <expected>, got <value>`. */
  readonly pattern?: { readonly re: RegExp; readonly expected: string };
}

export function string(options: StringOptions = {}): Schema<string> {
  const shown = options.secret === true ? showSecret : show;
  return leaf(options.type ?? 'string', (value, fail) => {
    if (typeof value !== 'string') return fail(`expected a string, got ${shown(value)}`);
    if (options.nonEmpty === true && value === '') return fail('expected a non-empty string, got ""');
    const bytes = Buffer.byteLength(value, 'utf8');
    if (options.minBytes !== undefined && bytes < options.minBytes) {
      return fail(`must be at least ${options.minBytes} bytes, got ${bytes} bytes`);
    }
    if (options.pattern !== undefined && !options.pattern.re.test(value)) {
      return fail(`expected ${options.pattern.expected}, got ${shown(value)}`);
    }
    return value;
  });
}

export function enumOf<const V extends string>(values: readonly V[]): Schema<V> {
  const allowed: readonly string[] = values;
  const check = (value: unknown, fail: Fail): V | Invalid =>
    typeof value !== 'string' || !allowed.includes(value) ? fail(`expected one of ${values.join(', ')}, got ${show(value)}`) : (value as V);
  return leaf(`one of ${values.map((v) => `\`${v}\``).join(', ')}`, check, { enum: [...values] });
}

export function boolean(): Schema<boolean> {
  return leaf('boolean', (value, fail) => (typeof value === 'boolean' ? value : fail(`expected true or false, got ${show(value)}`)), { type: 'boolean' });
}

/** A positive duration ("500ms", "30s", "5m", "1h30m") as milliseconds. */
export function duration(): Schema<number> {
  return leaf('duration', (value, fail) => {
    const ms = typeof value === 'string' ? parseDuration(value) : null;
    if (ms === null) return fail(`expected a duration such as "500ms", "30s", "5m" or "1h30m", got ${show(value)}`);
    if (ms === 0) return fail(`expected a positive duration, got ${show(value)}`);
    return ms;
  });
}

/** A JavaScript regular expression source; it must compile (kept as source text). */
export function regex(): Schema<string> {
  return leaf('regular expression', (value, fail) => {
    if (typeof value !== 'string') return fail(`expected a regular expression, got ${show(value)}`);
    try {
      new RegExp(value);
      return value;
    } catch (error) {
      const reason = error instanceof Error ? error.message.replace(/^.*: /, '') : String(error);
      return fail(`expected a regular expression, got ${show(value)} (${reason})`);
    }
  });
}

/** A regular expression in RE2 syntax (authentik's, Go's), as re2js compiles it. */
export function re2Regex(): Schema<string> {
  return leaf('RE2 regular expression', (value, fail) => {
    if (typeof value !== 'string') return fail(`expected an RE2 regular expression, got ${show(value)}`);
    try {
      RE2JS.compile(value);
      return value;
    } catch (error) {
      const reason = error instanceof Error ? error.message.replace(/^error parsing regexp: /, '') : String(error);
      return fail(`expected an RE2 regular expression, got ${show(value)} (${reason})`);
    }
  });
}

/**
 * A whole number within bounds. A string of digits is accepted too, because `${VAR}`
 * interpolation always yields strings.
 */
export function integer(bounds: { readonly min: number; readonly max: number }): Schema<number> {
  return leaf(
    `integer ${bounds.min}–${bounds.max}`,
    (value, fail) => {
      const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
      if (typeof number !== 'number' || !Number.isInteger(number) || number < bounds.min || number > bounds.max) {
        return fail(`expected a whole number from ${bounds.min} to ${bounds.max}, got ${show(value)}`);
      }
      return number;
    },
    { anyOf: [{ type: 'integer', minimum: bounds.min, maximum: bounds.max }, { type: 'string', pattern: '^\\d+$' }] },
  );
}

/** `auto` or a whole number of processes (`auto`: the machine's cores, resolved at start-up). */
export function workerCount(max: number): Schema<number | 'auto'> {
  return leaf(
    `\`auto\` or integer 1–${max}`,
    (value, fail) => {
      if (value === 'auto') return 'auto';
      const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
      if (typeof number !== 'number' || !Number.isInteger(number) || number < 1 || number > max) {
        return fail(`expected auto or a whole number from 1 to ${max}, got ${show(value)}`);
      }
      return number;
    },
    { anyOf: [{ const: 'auto' }, { type: 'integer', minimum: 1, maximum: max }, { type: 'string', pattern: '^\\d+$' }] },
  );
}
