/**
 * One key of a mapping: its value schema, its default as it would be written in YAML (it goes
 * through the schema like any value), and its one-line description. The configuration reference
 * and the JSON Schema are rendered from these.
 */

import { z } from 'zod';
import { valueKinds } from './kinds.js';

export interface FieldDoc {
  readonly required: boolean;
  /** The default as written in YAML; absent for required keys. */
  readonly default?: unknown;
  /** Overrides how the reference shows the default. */
  readonly defaultText?: string;
}

export const fieldDocs = z.registry<FieldDoc>();

interface FieldOptions<T extends z.ZodType> {
  readonly description: string;
  readonly default: z.input<T>;
  readonly defaultText?: string;
}

/** A key with a default. */
export function field<T extends z.ZodType>(schema: T, options: FieldOptions<T>) {
  const declared = schema.prefault(options.default).meta({ description: options.description });
  fieldDocs.add(declared, { required: false, default: options.default, ...(options.defaultText === undefined ? {} : { defaultText: options.defaultText }) });
  return declared;
}

/** A key that must be written (or, for `identity`, supplied by the top-level block). */
export function required<T extends z.ZodType>(schema: T, options: { readonly description: string }): T {
  const declared = schema.meta({ description: options.description });
  // `meta` returns a copy: it is still the same kind of value.
  const named = valueKinds.get(schema);
  if (named !== undefined) valueKinds.add(declared, named);
  fieldDocs.add(declared, { required: true });
  return declared;
}
