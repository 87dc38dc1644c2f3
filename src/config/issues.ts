/**
 * zod's issues as Portcullis problems: unknown keys one by one with a "did you mean", and every
 * problem in document order. Within a mapping, problems of the keys as written come first (in the
 * order they were written), then those of keys left to their defaults, then the mapping's
 * cross-key rules, as a reader going down the file would meet them.
 */

import { z } from 'zod';
import { unknownKeyMessage } from './did-you-mean.js';
import { isPlainObject } from './plain.js';
import type { DocPath } from './problems.js';
import type { RuleParams } from './values/mapping.js';
import { unwrap } from './values/unwrap.js';

export interface FoundProblem {
  readonly path: DocPath;
  readonly message: string;
}

/** The keys the mapping at `path` takes. */
function knownKeysAt(schema: z.ZodType, path: DocPath): readonly string[] {
  let here: z.ZodType | undefined = schema;
  for (const step of path) {
    const inner: z.ZodType | undefined = here === undefined ? undefined : unwrap(here);
    if (inner instanceof z.ZodObject) here = Object.hasOwn(inner.shape, String(step)) ? (inner.shape[String(step)] as z.ZodType) : undefined;
    else if (inner instanceof z.ZodArray) here = inner.element as z.ZodType;
    else if (inner instanceof z.ZodRecord) here = inner.valueType as z.ZodType;
    else here = undefined;
  }
  const inner = here === undefined ? undefined : unwrap(here);
  return inner instanceof z.ZodObject ? Object.keys(inner.shape) : [];
}

const AFTER_EVERY_KEY = Number.MAX_SAFE_INTEGER;

/** Where `path` is met reading the document: the position of each step among its siblings. */
function positionOf(doc: unknown, path: DocPath): number[] {
  const position: number[] = [];
  let node = doc;
  for (const step of path) {
    if (Array.isArray(node) && typeof step === 'number') {
      position.push(step);
      node = node[step];
    } else if (isPlainObject(node)) {
      const keys = Object.keys(node);
      const index = keys.indexOf(String(step));
      // Keys left to their default come after every key written.
      position.push(index >= 0 ? index : keys.length);
      node = index >= 0 ? node[String(step)] : undefined;
    } else {
      position.push(0);
      node = undefined;
    }
  }
  return position;
}

function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i += 1) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

function ruleDepth(issue: z.core.$ZodIssue): number | null {
  if (issue.code !== 'custom') return null;
  const params = issue.params as Partial<RuleParams> | undefined;
  return typeof params?.rule === 'number' ? params.rule : null;
}

/** The problems of a failed parse of `doc` by `schema`, in document order. */
export function problemsOf(issues: readonly z.core.$ZodIssue[], doc: unknown, schema: z.ZodType): FoundProblem[] {
  const found: { problem: FoundProblem; position: number[] }[] = [];
  for (const issue of issues) {
    const path = issue.path;
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(schema, path);
      for (const key of issue.keys) {
        const at = [...path, key];
        found.push({ problem: { path: at, message: unknownKeyMessage(key, known) }, position: positionOf(doc, at) });
      }
      continue;
    }
    const depth = ruleDepth(issue);
    // A rule's problem comes after everything inside the mapping or list the rule belongs to.
    const position = depth === null ? positionOf(doc, path) : [...positionOf(doc, path.slice(0, path.length - depth)), AFTER_EVERY_KEY];
    found.push({ problem: { path, message: issue.message }, position });
  }
  // Array.prototype.sort is stable: problems at one place keep the order they were found in.
  return found.sort((a, b) => compare(a.position, b.position)).map((f) => f.problem);
}
