/** Mappings with known keys: each key's schema, default, description; unknown keys rejected. */

import { parseValue } from './core.js';
import type { Schema } from './core.js';
import type { Path } from './path.js';
import { isPlainObject, setOwn } from './plain.js';
import { INVALID, show } from './problems.js';
import type { Context, Invalid } from './problems.js';

export interface Field<T, K extends string | null = null> {
  readonly schema: Schema<T>;
  /** One line for the reference. */
  readonly description: string;
  readonly required: boolean;
  /** The default as it would be written in YAML; it goes through `schema` like any value. */
  readonly default: unknown;
  /** Overrides how the reference shows the default. */
  readonly defaultText: string | null;
  /** The key in the typed result when it differs from the YAML key (`lifetime` → `lifetimeMs`). */
  readonly output: K;
}

interface AnyField {
  readonly schema: Schema<unknown>;
  readonly description: string;
  readonly required: boolean;
  readonly default: unknown;
  readonly defaultText: string | null;
  readonly output: string | null;
}

export type FieldMap = Readonly<Record<string, AnyField>>;

type OutputKey<K extends string, F> = F extends { readonly output: infer O extends string } ? O : K;
type FieldValue<F> = F extends Field<infer T, string | null> ? T : never;

/** The typed result of a mapping schema. */
export type ObjectOf<F extends FieldMap> = {
  readonly [K in keyof F & string as OutputKey<K, F[K]>]: FieldValue<F[K]>;
};

/** A mapping's result as seen by its cross-key check: any key may have been rejected. */
export type Partly<T> = { readonly [K in keyof T]: T[K] | Invalid };

type FieldOptions = { readonly description: string; readonly defaultText?: string } & (
  | { readonly required: true }
  | { readonly default: unknown }
);

export function field<T>(schema: Schema<T>, options: FieldOptions): Field<T> {
  return {
    schema,
    description: options.description,
    required: 'required' in options,
    default: 'default' in options ? options.default : undefined,
    defaultText: options.defaultText ?? null,
    output: null,
  };
}

/** Stores a key under another name in the typed result. */
export function renamed<T, const K extends string>(output: K, f: Field<T>): Field<T, K> {
  return { ...f, output };
}

export interface ObjectOptions<T> {
  readonly type?: string;
  /** Cross-key rules; runs on every full (not partial) parse, with rejected keys as INVALID. */
  readonly check?: (value: Partly<T>, at: Path, ctx: Context) => void;
}

export function object<F extends FieldMap>(fields: F, options: ObjectOptions<ObjectOf<F>> = {}): Schema<ObjectOf<F>> {
  return {
    type: options.type ?? 'mapping',
    fields,
    parse(value, at, ctx) {
      if (!isPlainObject(value)) {
        ctx.problems.add(at, `expected a mapping, got ${show(value)}`);
        return INVALID;
      }
      const before = ctx.problems.reports;
      // Problems in document order; the result in schema order.
      const parsed = new Map<string, unknown>();
      for (const [key, raw] of Object.entries(value)) {
        const f = Object.hasOwn(fields, key) ? fields[key] : undefined;
        if (f === undefined) ctx.problems.add(at.key(key), 'unknown key');
        else parsed.set(key, parseValue(f.schema, raw, at.key(key), ctx));
      }
      const out: Record<string, unknown> = {};
      for (const [key, f] of Object.entries(fields)) {
        if (parsed.has(key)) setOwn(out, f.output ?? key, parsed.get(key));
        else if (ctx.partial) continue;
        else if (f.required) {
          ctx.problems.add(at.key(key), 'required');
          setOwn(out, f.output ?? key, INVALID);
        } else {
          setOwn(out, f.output ?? key, f.schema.parse(f.default, at.key(key), ctx));
        }
      }
      // Every key of `fields` is set above (a partial parse's result is never used).
      const result = out as Partly<ObjectOf<F>>;
      if (options.check !== undefined && !ctx.partial) options.check(result, at, ctx);
      return ctx.problems.reports === before ? (out as ObjectOf<F>) : INVALID;
    },
  };
}
