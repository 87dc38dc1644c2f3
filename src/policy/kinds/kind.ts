import type { Invalid } from '../problems.js';
import type { DocumentReader } from '../reader.js';
import type { PolicyInput, PolicyVerdict } from '../types.js';

/** A compiled policy body: everything parsed and prepared, only comparisons left. */
export type PolicyTest = (input: PolicyInput) => PolicyVerdict;

/** One `kind:` of policy: the keys it adds to `name`, `kind` and `description`, and its compiler. */
export interface KindSpec {
  readonly keys: readonly string[];
  /** Reports every problem through the reader; INVALID when there was any. */
  compile(reader: DocumentReader): PolicyTest | Invalid;
}
