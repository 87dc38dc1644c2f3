/** Lists, and mappings with free-form keys. */

import { parseValue } from './core.js';
import type { Schema } from './core.js';
import type { Path } from './path.js';
import { isPlainObject, setOwn } from './plain.js';
import { INVALID, show } from './problems.js';
import type { Context, Invalid } from './problems.js';

export interface ListOptions<T> {
  readonly type?: string;
  /** Message when the list is empty and must not be. */
  readonly nonEmpty?: string;
  /** Rules over the whole list; receives the raw items so it can look at rejected ones too. */
  readonly check?: (items: readonly (T | Invalid)[], at: Path, ctx: Context, raw: readonly unknown[]) => void;
}

export function list<T>(item: Schema<T>, options: ListOptions<T> = {}): Schema<readonly T[]> {
  return {
    type: options.type ?? `list of ${item.type}`,
    item,
    parse(value, at, ctx) {
      if (!Array.isArray(value)) {
        ctx.problems.add(at, `expected a list, got ${show(value)}`);
        return INVALID;
      }
      const before = ctx.problems.reports;
      const raw: readonly unknown[] = value;
      if (raw.length === 0 && options.nonEmpty !== undefined) ctx.problems.add(at, options.nonEmpty);
      const items = raw.map((v, i) => parseValue(item, v, at.index(i), ctx));
      if (options.check !== undefined && !ctx.partial) options.check(items, at, ctx, raw);
      return ctx.problems.reports === before ? (items as T[]) : INVALID;
    },
  };
}

export interface MapOptions {
  readonly type: string;
  /** Rules over all keys at once (e.g. case-insensitive duplicates). */
  readonly checkKeys?: (keys: readonly string[], at: Path, ctx: Context) => void;
}

/** A mapping with free-form keys, each key checked by `key` and each value by `value`. */
export function map<T>(key: Schema<string>, value: Schema<T>, options: MapOptions): Schema<Readonly<Record<string, T>>> {
  return {
    type: options.type,
    json: { type: 'object', additionalProperties: value.json ?? { type: 'string' } },
    parse(raw, at, ctx) {
      if (!isPlainObject(raw)) {
        ctx.problems.add(at, `expected a mapping, got ${show(raw)}`);
        return INVALID;
      }
      const before = ctx.problems.reports;
      const out: Record<string, T> = {};
      for (const [name, v] of Object.entries(raw)) {
        const k = key.parse(name, at.key(name), ctx);
        const parsed = parseValue(value, v, at.key(name), ctx);
        if (k !== INVALID && parsed !== INVALID) setOwn(out, k, parsed);
      }
      options.checkKeys?.(Object.keys(raw), at, ctx);
      return ctx.problems.reports === before ? out : INVALID;
    },
  };
}
