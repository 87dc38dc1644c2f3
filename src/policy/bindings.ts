/**
 * An application's bindings, resolved against a PolicySet once: each binding names a policy,
 * may be negated, and the results combine with `all` (every binding allows) or `any` (at least
 * one does). No bindings allow every authenticated identity.
 *
 * Fail closed: a policy that cannot be evaluated (an expression error or a non-bool result)
 * denies its binding whether or not the binding is negated.
 */

import type { Identity } from '../auth/index.js';
import type { ApplicationConfig } from '../config/index.js';
import type { ValidationProblem } from '../errors/index.js';
import { bindingsInvalid } from './errors.js';
import type { ApplicationPolicy, Policy, PolicyDecision, PolicyInput, PolicyRequest, PolicySet, PolicyVerdict } from './types.js';
import { messageOf } from '../errors/index.js';

/** What compiling needs of an application: its name and its `policies` block. */
export interface PolicyApplication {
  readonly name: string;
  readonly policies: ApplicationConfig['policies'];
}

export interface CompileOptions {
  /** The clock `time` policies read; default the system clock. */
  readonly now?: () => Date;
  /** The configuration file, named as the source of binding errors; default `<config>`. */
  readonly source?: string;
}

export const ALLOW: PolicyDecision = Object.freeze({ allow: true });
const ALLOW_ALL: ApplicationPolicy = Object.freeze({ evaluate: () => ALLOW });

interface Binding {
  readonly policy: Policy;
  readonly negate: boolean;
}

/**
 * Compiles one application's bindings.
 * @throws ValidationError naming `applications[i].policies.bindings[j].policy` for every
 *   binding whose policy does not exist.
 */
export function compileApplicationPolicies(
  set: PolicySet,
  app: PolicyApplication,
  appIndex: number,
  options: CompileOptions = {},
): ApplicationPolicy {
  const problems: ValidationProblem[] = [];
  const policy = compileOne(set, app, appIndex, options, problems);
  if (problems.length > 0) throw bindingsInvalid(options.source ?? '<config>', problems);
  return policy;
}

/**
 * Compiles every application at once, so one error lists every missing policy of every
 * application. The map is keyed by application name.
 */
export function compileAllApplicationPolicies(
  set: PolicySet,
  applications: readonly PolicyApplication[],
  options: CompileOptions = {},
): ReadonlyMap<string, ApplicationPolicy> {
  const problems: ValidationProblem[] = [];
  const compiled = new Map<string, ApplicationPolicy>();
  applications.forEach((app, i) => compiled.set(app.name, compileOne(set, app, i, options, problems)));
  if (problems.length > 0) throw bindingsInvalid(options.source ?? '<config>', problems);
  return compiled;
}

function compileOne(
  set: PolicySet,
  app: PolicyApplication,
  appIndex: number,
  options: CompileOptions,
  problems: ValidationProblem[],
): ApplicationPolicy {
  const bindings: Binding[] = [];
  app.policies.bindings.forEach((binding, j) => {
    const policy = set.get(binding.policy);
    if (policy === undefined) {
      const where = set.found ? set.dir : `${set.dir} (the folder does not exist)`;
      problems.push({
        path: `applications[${appIndex}].policies.bindings[${j}].policy`,
        message: `no policy named ${JSON.stringify(binding.policy)} in ${where}`,
      });
    } else {
      bindings.push({ policy, negate: binding.negate });
    }
  });
  if (bindings.length === 0) return ALLOW_ALL;
  const now = options.now ?? (() => new Date());
  const mode = app.policies.mode;
  return {
    evaluate: (identity: Identity, request: PolicyRequest) => decide(bindings, mode, { identity, request, now: now() }),
  };
}

/** Pure: the decision of every binding over one input. Denials list every binding that denied. */
function decide(bindings: readonly Binding[], mode: 'all' | 'any', input: PolicyInput): PolicyDecision {
  let reasons: string[] | null = null; // allocated only on the way to a denial
  for (const binding of bindings) {
    const reason = denial(binding, input);
    if (reason === null) {
      if (mode === 'any') return ALLOW;
    } else {
      (reasons ??= []).push(reason);
    }
  }
  return reasons === null ? ALLOW : { allow: false, reasons };
}

/** Null when the binding allows; otherwise why it denied, for logs. */
function denial({ policy, negate }: Binding, input: PolicyInput): string | null {
  const result = safeTest(policy, input);
  if (result.outcome === 'error') return `${policy.name}: ${result.message}`;
  if ((result.outcome === 'match') !== negate) return null;
  return negate ? `not ${policy.name}` : policy.name;
}

/** Policies do not throw by design; should one ever do, it denies rather than escapes. */
function safeTest(policy: Policy, input: PolicyInput): PolicyVerdict {
  try {
    return policy.test(input);
  } catch (error) {
    return { outcome: 'error', message: `evaluation failed: ${messageOf(error)}` };
  }
}
