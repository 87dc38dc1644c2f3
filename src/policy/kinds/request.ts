/**
 * `kind: request` — allowed when the method is listed (if `methods` is given) and the
 * normalized path matches one of the regular expressions (if `paths` is given).
 */

import { INVALID, show } from '../problems.js';
import { verdict } from '../types.js';
import type { KindSpec } from './kind.js';

// RFC 9110 §5.6.2 token, upper case: methods are case-sensitive (§9.1), so "get" would never
// match a GET and silently deny or allow everything.
const METHOD = /^[A-Z0-9!#$%&'*+.^_`|~-]+$/;

export const requestKind: KindSpec = {
  keys: ['methods', 'paths'],
  compile(reader) {
    const methods = reader.list(
      'methods',
      { expected: 'a list of HTTP methods', empty: 'expected at least one HTTP method (omit methods to allow any)' },
      (value, at) =>
        typeof value === 'string' && METHOD.test(value) && /[A-Z]/.test(value)
          ? value
          : reader.problems.add(at, `expected an HTTP method in upper case such as "GET", got ${show(value)}`),
      'optional',
    );
    const paths = reader.list(
      'paths',
      { expected: 'a list of regular expressions', empty: 'expected at least one regular expression (omit paths to allow any)' },
      reader.regexItem(),
      'optional',
    );
    if (methods === undefined && paths === undefined) reader.fail('', 'expected methods, paths or both');
    if (methods === INVALID || paths === INVALID || (methods === undefined && paths === undefined)) return INVALID;
    const methodSet = methods === undefined ? null : new Set(methods);
    return ({ request }) =>
      verdict(
        (methodSet === null || methodSet.has(request.method)) &&
          (paths === undefined || paths.some((re) => re.test(request.path))),
      );
  },
};
