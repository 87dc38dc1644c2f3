/**
 * What every value schema shares: the "Type" column of the configuration reference, problem
 * messages of the form "expected …, got …", and how a value schema reports a problem it finds.
 */

import { z } from 'zod';

/** How the reference names a kind of value: "duration", "host:port", "list of CIDR or IP". */
export const valueKinds = z.registry<{ readonly label: string }>();

/** Registers `schema` as a value kind named `label` in the reference. */
export function kind<T extends z.ZodType>(label: string, schema: T): T {
  valueKinds.add(schema, { label });
  return schema;
}

interface RawIssue {
  readonly code?: string;
  readonly input?: unknown;
}

/**
 * An error map for a value schema: "required" for a key that is missing, `message(input)` for a
 * value of the wrong kind or out of bounds. Unknown keys are left to the mapping (they are
 * reported one by one, with a suggestion, when problems are collected).
 */
export function expecting(message: (input: unknown) => string): (issue: RawIssue) => string | undefined {
  return (issue) => {
    if (issue.code === 'unrecognized_keys') return undefined;
    return issue.input === undefined ? 'required' : message(issue.input);
  };
}

/** Reports a problem with the value at hand; the value is then invalid. */
export function fail(ctx: z.RefinementCtx, message: string): never {
  ctx.addIssue({ code: 'custom', message });
  return z.NEVER;
}
