/**
 * CEL programs for `kind: expression`: parsed, checked and planned once at load; a request
 * only binds the two variables and runs the plan.
 */

import { celEnv, celType, CelScalar, isCelError, parse, plan } from '@bufbuild/cel';
import type { CelInput } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import type { PolicyInput, PolicyVerdict } from '../types.js';
import { verdict } from '../types.js';
import { checkExpression } from './check.js';
import { messageOf } from '../../errors/index.js';

/**
 * The standard library plus the `strings` extension (`lowerAscii`, `split`, `indexOf`…);
 * `matches` runs RE2, so an expression cannot backtrack catastrophically. Immutable.
 */
const ENV = celEnv({ variables: { identity: CelScalar.DYN, request: CelScalar.DYN }, funcs: strings });

// The same engine `matches` uses at run time, so load-time checks agree with evaluation.
const REGEX_PROBE = plan(celEnv({ variables: { pattern: CelScalar.STRING } }), parse("''.matches(pattern)"));

function regexProblem(pattern: string): string | null {
  const result = REGEX_PROBE({ pattern });
  return isCelError(result) ? result.message.replace(/^error parsing regexp: /, '') : null;
}

export type CompiledProgram =
  | { readonly ok: true; readonly run: (input: PolicyInput) => PolicyVerdict }
  | { readonly ok: false; readonly problems: readonly string[] };

export function compileProgram(source: string): CompiledProgram {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(source);
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^<input>:/, '') : String(error);
    return { ok: false, problems: [`does not parse: ${reason}`] };
  }
  const problems = checkExpression(parsed, source, { funcs: ENV.funcs, regexProblem });
  if (problems.length > 0) return { ok: false, problems: problems.map((p) => `does not type-check: ${p}`) };
  let program: Program;
  try {
    program = planFor(parsed);
  } catch (error) {
    return { ok: false, problems: [`cannot be planned: ${messageOf(error)}`] };
  }
  return { ok: true, run: (input) => runProgram(program, input) };
}

const planFor = (parsed: ReturnType<typeof parse>) => plan(ENV, parsed);
type Program = ReturnType<typeof planFor>;

/** Claims and attributes are JSON from the token, which CEL reads as maps, lists and scalars. */
function json(value: Readonly<Record<string, unknown>>): CelInput {
  return value as CelInput;
}

/** Fails closed: an evaluation error or a result other than a bool is an error verdict. */
function runProgram(program: Program, { identity, request }: PolicyInput): PolicyVerdict {
  let result: ReturnType<Program>;
  try {
    result = program({
      identity: {
        username: identity.username,
        email: identity.email,
        groups: identity.groups,
        attributes: json(identity.attributes),
        claims: json(identity.claims),
      },
      request: { method: request.method, path: request.path, host: request.host, ip: request.ip },
    });
  } catch (error) {
    return { outcome: 'error', message: `expression failed: ${messageOf(error)}` };
  }
  if (isCelError(result)) return { outcome: 'error', message: `expression failed: ${result.message}` };
  if (typeof result !== 'boolean') {
    return { outcome: 'error', message: `expression returned ${String(celType(result))}, not a bool` };
  }
  return verdict(result);
}
