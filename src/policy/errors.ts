/** The errors policy loading and binding raise, with their catalogue codes. */

import { ValidationError } from '../errors/index.js';
import type { ValidationProblem } from '../errors/index.js';

/** The policy files (or their folder) do not validate. */
export function policiesInvalid(dir: string, problems: readonly ValidationProblem[]): ValidationError {
  return new ValidationError('PCL_POLICY_INVALID', dir, problems);
}

/** An application binds a policy that no file in the folder defines. */
export function bindingsInvalid(source: string, problems: readonly ValidationProblem[]): ValidationError {
  return new ValidationError('PCL_POLICY_BINDING_UNKNOWN', source, problems);
}
