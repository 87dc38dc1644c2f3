/**
 * A configuration document through the schema: `${NAME}` replaced, each application's identity
 * merged, every problem collected with its dotted path, or the parsed value.
 */

import { ValidationError } from '../errors/index.js';
import { interpolate, type Environment } from './interpolate.js';
import { problemsOf } from './issues.js';
import { configSchema, configSchemaWithoutApplications, type ParsedConfig } from './keys/root.js';
import { mergeIdentities } from './merge-identity.js';
import { dottedPath, Problems } from './problems.js';
import { sourceLabel } from './yaml.js';

export interface DocumentOptions {
  readonly source: string;
  readonly env: Environment;
  /** `${NAME}` was already replaced where it may be (values from authentik's API never are). */
  readonly interpolated?: boolean;
  /** An empty `applications` list is no problem (a source that brings its own applications). */
  readonly applicationsMayBeEmpty?: boolean;
}

/** Whether `path` is `at` or inside it. */
function isWithin(path: string, at: string): boolean {
  return path === at || path.startsWith(`${at}.`) || path.startsWith(`${at}[`);
}

/**
 * @throws ValidationError PCL_CONFIG_INVALID listing every problem, each with its dotted path
 */
export function parseDocument(raw: unknown, options: DocumentOptions): ParsedConfig {
  const problems = new Problems();
  const value = options.interpolated === true ? raw : interpolate(raw, options.env, [], problems);
  // A value whose variable is missing is already reported; what the schema says of it adds nothing.
  const unresolved = problems.list.map((p) => p.path);
  const merged = mergeIdentities(value);
  const schema = options.applicationsMayBeEmpty === true ? configSchemaWithoutApplications : configSchema;
  const result = schema.safeParse(merged.value);
  if (!result.success) {
    for (const problem of problemsOf(result.error.issues, merged.value, schema)) {
      const where = merged.where(problem.path);
      if (where === null) continue;
      const path = dottedPath(where);
      if (!unresolved.some((at) => isWithin(path, at))) problems.add(path, problem.message);
    }
  }
  if (!result.success || problems.list.length > 0) throw new ValidationError('PCL_CONFIG_INVALID', sourceLabel(options.source), problems.list);
  return result.data;
}
