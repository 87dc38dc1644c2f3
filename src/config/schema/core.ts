/**
 * A small declarative schema layer: each schema checks one kind of value, reports every problem
 * under its dotted path and returns the typed value or INVALID. Mappings reject unknown keys and
 * carry each key's default and description, so the configuration reference is generated from them.
 */

import type { FieldMap } from './object.js';
import type { Path } from './path.js';
import { INVALID, Problems, UNRESOLVED } from './problems.js';
import type { Context, Invalid } from './problems.js';

export interface Schema<T> {
  /** How the reference names the expected value: "string", "duration", "list of CIDR". */
  readonly type: string;
  /** For mappings: their keys, so the reference can list them. */
  readonly fields?: FieldMap;
  /** For lists: the item schema, so the reference can list an item's keys. */
  readonly item?: Schema<unknown>;
  /**
   * The JSON Schema of the values this schema accepts, where `type` alone does not say it
   * (enums, numbers, booleans, free-form mappings); absent, a string.
   */
  readonly json?: Readonly<Record<string, unknown>>;
  parse(value: unknown, at: Path, ctx: Context): T | Invalid;
}

/** Parses a child value; a value whose interpolation failed is invalid and already reported. */
export function parseValue<T>(schema: Schema<T>, value: unknown, at: Path, ctx: Context): T | Invalid {
  return value === UNRESOLVED ? INVALID : schema.parse(value, at, ctx);
}

export type Fail = (message: string) => Invalid;

/** A scalar schema: `check` returns the value or `fail(message)` reported at the value's path. */
export function leaf<T>(type: string, check: (value: unknown, fail: Fail) => T | Invalid, json?: Readonly<Record<string, unknown>>): Schema<T> {
  return {
    type,
    ...(json === undefined ? {} : { json }),
    parse(value, at, ctx) {
      return check(value, (message) => {
        ctx.problems.add(at, message);
        return INVALID;
      });
    },
  };
}

/** Runs a schema for its value only, with problems discarded (for cross-item checks). */
export function peek<T>(schema: Schema<T>, value: unknown, at: Path, root: unknown): T | Invalid {
  return parseValue(schema, value, at, { problems: new Problems(), partial: false, root });
}
