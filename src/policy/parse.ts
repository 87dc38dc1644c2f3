/**
 * The pure core of loading: file texts → a validated, compiled PolicySet, or one error that
 * lists every problem of every file, each as `<folder>/<file>: [doc].key: message`.
 */

import { basename, join } from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import type { ValidationProblem } from '../errors/index.js';
import { compileDocument } from './document.js';
import { policiesInvalid } from './errors.js';
import { Problems } from './problems.js';
import type { Policy, PolicySet } from './types.js';
import { messageOf } from '../errors/index.js';

export interface PolicyFile {
  /** The file's name inside the folder, e.g. `staff.yaml`. */
  readonly name: string;
  readonly text: string;
}

/**
 * Validates and compiles the policies of a folder from its files' texts.
 * @throws ValidationError naming every problem of every file.
 */
export function parsePolicyFiles(dir: string, files: readonly PolicyFile[]): PolicySet {
  return buildPolicySet(dir, files, { found: true, problems: [] });
}

export interface BuildOptions {
  readonly found: boolean;
  /** Problems already found while reading the folder (unreadable files). */
  readonly problems: readonly ValidationProblem[];
}

export function buildPolicySet(dir: string, files: readonly PolicyFile[], options: BuildOptions): PolicySet {
  const problems: ValidationProblem[] = [...options.problems];
  const policies = new Map<string, Policy>();
  const firstSeen = new Map<string, string>();
  for (const file of files) {
    const label = fileLabel(dir, file.name);
    for (const doc of parseFile(file.text, label, problems)) {
      const local = new Problems();
      const compiled = compileDocument(doc.value, doc.at, doc.origin, local);
      const keyProblems = local.list.map((p) => ({ path: p.key === '' ? label : `${label}: ${p.key}`, message: p.message }));
      problems.push(...keyProblems);
      if (compiled.name === null) continue;
      const earlier = firstSeen.get(compiled.name);
      if (earlier !== undefined) {
        const key = doc.at === '' ? 'name' : `${doc.at}.name`;
        problems.push({ path: `${label}: ${key}`, message: `duplicate policy name "${compiled.name}" (already defined in ${earlier})` });
        continue;
      }
      firstSeen.set(compiled.name, doc.origin);
      if (compiled.policy !== null) policies.set(compiled.name, compiled.policy);
    }
  }
  if (problems.length > 0) throw policiesInvalid(dir, problems);
  return new CompiledPolicySet(dir, options.found, policies);
}

/** `policies/staff.yaml`: the folder's own name and the file, stable wherever Portcullis runs. */
export function fileLabel(dir: string, name: string): string {
  return join(basename(dir), name);
}

interface RawDocument {
  readonly value: unknown;
  /** '' when the file holds one document, `[i]` (zero-based) when it holds several. */
  readonly at: string;
  /** `policies/staff.yaml` or `policies/staff.yaml [2]`. */
  readonly origin: string;
}

/** The non-empty documents of a file; YAML errors become problems with line and column. */
function parseFile(text: string, label: string, problems: ValidationProblem[]): RawDocument[] {
  const lines = new LineCounter();
  const docs = Array.from(parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true }));
  const several = docs.length > 1;
  const out: RawDocument[] = [];
  docs.forEach((doc, i) => {
    const issues = [...doc.errors, ...doc.warnings];
    for (const issue of issues) {
      const { line, col } = lines.linePos(issue.pos[0]);
      problems.push({ path: `${label}:${line}:${col}`, message: `invalid YAML: ${issue.message.split('\n')[0] ?? ''}` });
    }
    if (issues.length > 0) return;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (error) {
      // Unresolvable aliases and alias bombs surface here rather than as parse errors.
      const reason = messageOf(error);
      problems.push({ path: several ? `${label}: [${i}]` : label, message: `invalid YAML: ${reason}` });
      return;
    }
    // Empty documents (a trailing `---`, a file of comments) define nothing.
    if (value === null || value === undefined) return;
    out.push({ value, at: several ? `[${i}]` : '', origin: several ? `${label} [${i}]` : label });
  });
  return out;
}

class CompiledPolicySet implements PolicySet {
  readonly names: ReadonlySet<string>;

  constructor(
    readonly dir: string,
    readonly found: boolean,
    private readonly policies: ReadonlyMap<string, Policy>,
  ) {
    this.names = new Set(policies.keys());
  }

  get(name: string): Policy | undefined {
    return this.policies.get(name);
  }
}
