/**
 * Mappings with known keys (unknown ones rejected) and the cross-key rules over them. A rule runs
 * even when some keys were rejected, so that every problem is reported at once; it sees rejected
 * keys as INVALID and stays silent about them (their own problem is already reported).
 */

import { z } from 'zod';
import { isPlainObject } from '../plain.js';
import { show, type DocPath } from '../problems.js';
import { expecting } from './kinds.js';

export const INVALID: unique symbol = Symbol('invalid');
export type Invalid = typeof INVALID;

/** A mapping's value as a rule sees it: any key may have been rejected. */
export type Partly<T> = { readonly [K in keyof T]: T[K] | Invalid };

export interface RuleContext {
  /** Reports a problem at `path`, relative to the mapping or list the rule belongs to. */
  report(path: DocPath, message: string): void;
  /** Whether the value at `path` (relative) was rejected. */
  rejected(path: DocPath): boolean;
}

/** Marks a problem found by a rule, with how many steps below the rule's owner it is reported. */
export type RuleParams = { readonly rule: number };

/** A mapping with exactly these keys; any other key is a problem. */
export function mapping<S extends z.ZodRawShape>(shape: S) {
  return z.strictObject(shape, { error: expecting((value) => `expected a mapping, got ${show(value)}`) });
}

function startsWith(path: readonly PropertyKey[], prefix: DocPath): boolean {
  return prefix.every((step, i) => path[i] === step);
}

function contextOf(ctx: z.RefinementCtx): RuleContext {
  return {
    report(path, message) {
      const params: RuleParams = { rule: path.length };
      ctx.addIssue({ code: 'custom', path: [...path], message, params });
    },
    rejected: (path) => ctx.issues.some((issue) => startsWith(issue.path ?? [], path)),
  };
}

/** Adds a cross-key rule to a mapping. */
export function withRule<S extends z.ZodObject>(schema: S, rule: (value: Partly<z.output<S>>, ctx: RuleContext) => void): S {
  return schema.superRefine(
    (value, ctx) => {
      const rules = contextOf(ctx);
      const partly: Record<string, unknown> = {};
      for (const key of Object.keys(schema.shape)) partly[key] = rules.rejected([key]) ? INVALID : (value as Record<string, unknown>)[key];
      rule(partly as Partly<z.output<S>>, rules);
    },
    { when: (payload) => isPlainObject(payload.value) },
  );
}

/** Adds a rule over a whole list (uniqueness, non-emptiness). */
export function withListRule<S extends z.ZodArray>(schema: S, rule: (items: readonly unknown[], ctx: RuleContext) => void): S {
  return schema.superRefine((items, ctx) => rule(items, contextOf(ctx)), { when: (payload) => Array.isArray(payload.value) });
}

/** `lifetime` → `lifetimeMs`: the typed result names durations by their unit. */
export type InMs<T, K extends string> = { [P in keyof T as P extends K ? `${P}Ms` : P]: T[P] };

export function durationsInMs<T extends Record<string, unknown>, const K extends keyof T & string>(value: T, keys: readonly K[]): InMs<T, K> {
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[(keys as readonly string[]).includes(key) ? `${key}Ms` : key] = item;
  return out as InMs<T, K>;
}
