/**
 * One YAML document → one compiled policy: `name`, `kind`, an optional `description`, and the
 * keys of its kind. Every problem is reported; unknown keys are problems, not ignored.
 */

import { KINDS } from './kinds/index.js';
import { INVALID, show } from './problems.js';
import type { Problems } from './problems.js';
import { DocumentReader } from './reader.js';
import { POLICY_KINDS } from './types.js';
import type { Policy, PolicyKind } from './types.js';

const COMMON_KEYS = ['name', 'kind', 'description'] as const;

// Names appear in application bindings, logs and metrics: keep them plain.
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export interface CompiledDocument {
  /** The document's name when it is a valid one, even if the rest is not (for duplicate checks). */
  readonly name: string | null;
  readonly policy: Policy | null;
}

export function compileDocument(raw: unknown, at: string, origin: string, problems: Problems): CompiledDocument {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.add(at, `expected a mapping with name and kind, got ${show(raw)}`);
    return { name: null, policy: null };
  }
  const doc = raw as Readonly<Record<string, unknown>>;
  const reader = new DocumentReader(doc, at, problems);
  const before = problems.count;
  const name = readName(reader);
  const kind = readKind(reader);
  const description = reader.optional('description');
  if (description !== undefined && typeof description !== 'string') {
    reader.fail('description', `expected a string, got ${show(description)}`);
  }
  if (kind === INVALID) return { name: name === INVALID ? null : name, policy: null };
  const spec = KINDS[kind];
  const allowed = new Set<string>([...COMMON_KEYS, ...spec.keys]);
  for (const key of Object.keys(doc)) {
    if (!allowed.has(key)) reader.fail(key, `unknown key (a ${kind} policy takes ${[...allowed].join(', ')})`);
  }
  const test = spec.compile(reader);
  if (name === INVALID || test === INVALID || problems.count > before) {
    return { name: name === INVALID ? null : name, policy: null };
  }
  return { name, policy: { name, kind, origin, test } };
}

function readName(reader: DocumentReader): string | typeof INVALID {
  const value = reader.required('name');
  if (value === INVALID) return INVALID;
  if (typeof value !== 'string' || !NAME.test(value)) {
    return reader.fail('name', `expected a policy name of letters, digits, ".", "_" and "-", got ${show(value)}`);
  }
  return value;
}

function readKind(reader: DocumentReader): PolicyKind | typeof INVALID {
  const value = reader.required('kind');
  if (value === INVALID) return INVALID;
  if (typeof value !== 'string' || !(POLICY_KINDS as readonly string[]).includes(value)) {
    return reader.fail('kind', `expected one of ${POLICY_KINDS.join(', ')}, got ${show(value)}`);
  }
  return value as PolicyKind;
}
