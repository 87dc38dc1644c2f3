/** Scalar values: strings, enums, booleans, durations, whole numbers, regular expressions. */

import { RE2JS } from 're2js';
import { z } from 'zod';
import { parseDuration } from '../duration.js';
import { show, showSecret } from '../problems.js';
import { expecting, fail, kind } from './kinds.js';

export interface StringOptions {
  /** Name in the reference; default "string". */
  readonly label?: string;
  /** Never show the value in a problem, only its kind and length. */
  readonly secret?: boolean;
  readonly nonEmpty?: boolean;
  /** Minimum length in UTF-8 bytes. */
  readonly minBytes?: number;
  /** The value must match `re`; the problem reads `expected <expected>, got <value>`. */
  readonly pattern?: { readonly re: RegExp; readonly expected: string };
}

function stringProblem(value: string, options: StringOptions, shown: (value: unknown) => string): string | null {
  if (options.nonEmpty === true && value === '') return 'expected a non-empty string, got ""';
  const bytes = Buffer.byteLength(value, 'utf8');
  if (options.minBytes !== undefined && bytes < options.minBytes) return `must be at least ${options.minBytes} bytes, got ${bytes} bytes`;
  if (options.pattern !== undefined && !options.pattern.re.test(value)) return `expected ${options.pattern.expected}, got ${shown(value)}`;
  return null;
}

export function string(options: StringOptions = {}) {
  const shown = options.secret === true ? showSecret : show;
  const schema = z.string({ error: expecting((value) => `expected a string, got ${shown(value)}`) }).superRefine((value, ctx) => {
    const problem = stringProblem(value, options, shown);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
  });
  return kind(options.label ?? 'string', schema);
}

export function enumOf<const V extends readonly [string, ...string[]]>(values: V) {
  const schema = z.enum(values, { error: expecting((value) => `expected one of ${values.join(', ')}, got ${show(value)}`) });
  return kind(`one of ${values.map((v) => `\`${v}\``).join(', ')}`, schema);
}

export function boolean() {
  return kind('boolean', z.boolean({ error: expecting((value) => `expected true or false, got ${show(value)}`) }));
}

const DURATION_EXPECTED = (value: unknown): string => `expected a duration such as "500ms", "30s", "5m" or "1h30m", got ${show(value)}`;

function durationMs(text: string, ctx: z.RefinementCtx): number {
  const ms = parseDuration(text);
  if (ms === null) return fail(ctx, DURATION_EXPECTED(text));
  if (ms === 0) return fail(ctx, `expected a positive duration, got ${show(text)}`);
  return ms;
}

/** A positive duration ("500ms", "30s", "5m", "1h30m") as milliseconds. */
export function duration() {
  return kind('duration', z.string({ error: expecting(DURATION_EXPECTED) }).transform(durationMs));
}

/** Like duration, but "" means "inherited" (null). */
export function optionalDuration() {
  const schema = z.string({ error: expecting(DURATION_EXPECTED) }).transform((text, ctx) => (text === '' ? null : durationMs(text, ctx)));
  return kind('duration', schema);
}

/** A regular expression in RE2 syntax (authentik's, Go's), as re2js compiles it; kept as source text. */
export function re2Regex() {
  const expected = (value: unknown): string => `expected an RE2 regular expression, got ${show(value)}`;
  const schema = z.string({ error: expecting(expected) }).superRefine((value, ctx) => {
    try {
      RE2JS.compile(value);
    } catch (error) {
      const reason = error instanceof Error ? error.message.replace(/^error parsing regexp: /, '') : String(error);
      ctx.addIssue({ code: 'custom', message: `${expected(value)} (${reason})` });
    }
  });
  return kind('RE2 regular expression', schema);
}

/** `${VAR}` interpolation always yields strings, so whole numbers are also accepted as digits. */
const DIGITS = /^\d+$/;

/** A whole number within bounds, written as a number or as a string of digits. */
export function integer(bounds: { readonly min: number; readonly max: number }) {
  const message = (value: unknown): string => `expected a whole number from ${bounds.min} to ${bounds.max}, got ${show(value)}`;
  const error = expecting(message);
  const schema = z
    .union([z.number({ error }).int({ error }).min(bounds.min, { error }).max(bounds.max, { error }), z.string({ error }).regex(DIGITS, { error })], { error })
    .transform((value, ctx) => {
      const number = Number(value);
      return number >= bounds.min && number <= bounds.max ? number : fail(ctx, message(value));
    });
  return kind(`integer ${bounds.min}–${bounds.max}`, schema);
}

/** `auto` or a whole number of processes (`auto`: the machine's cores, resolved at start-up). */
export function workerCount(max: number) {
  const message = (value: unknown): string => `expected auto or a whole number from 1 to ${max}, got ${show(value)}`;
  const error = expecting(message);
  const schema = z
    .union([z.literal('auto', { error }), z.number({ error }).int({ error }).min(1, { error }).max(max, { error }), z.string({ error }).regex(DIGITS, { error })], { error })
    .transform((value, ctx): number | 'auto' => {
      if (value === 'auto') return value;
      const number = Number(value);
      return number >= 1 && number <= max ? number : fail(ctx, message(value));
    });
  return kind(`\`auto\` or integer 1–${max}`, schema);
}

/** A list of values of one kind. */
export function list<T extends z.ZodType>(item: T) {
  return z.array(item, { error: expecting((value) => `expected a list, got ${show(value)}`) });
}
