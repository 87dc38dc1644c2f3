/**
 * `kind: expression` — a CEL expression over `identity {username, email, groups, attributes,
 * claims}` and `request {method, path, host, ip}` that must evaluate to a bool. An expression
 * that fails at run time, or returns anything else, denies (fail closed).
 */

import { compileProgram } from '../cel/program.js';
import { INVALID, show } from '../problems.js';
import type { KindSpec } from './kind.js';

export const expressionKind: KindSpec = {
  keys: ['expression'],
  compile(reader) {
    const source = reader.required('expression');
    if (source === INVALID) return INVALID;
    if (typeof source !== 'string' || source.trim() === '') {
      return reader.fail('expression', `expected a CEL expression, got ${show(source)}`);
    }
    const program = compileProgram(source);
    if (!program.ok) {
      for (const problem of program.problems) reader.fail('expression', problem);
      return INVALID;
    }
    return program.run;
  },
};
