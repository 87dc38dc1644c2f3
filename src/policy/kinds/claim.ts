/**
 * `kind: claim` — one token claim, found by a dotted path into the identity's claims, compared
 * with `equals` (strict equality with a JSON scalar; a list claim matches when it contains the
 * value) or `matches` (a regular expression over a string claim; anything else never matches).
 */

import { INVALID, show } from '../problems.js';
import type { Invalid } from '../problems.js';
import { compileRegex } from '../reader.js';
import type { DocumentReader } from '../reader.js';
import { verdict } from '../types.js';
import type { KindSpec } from './kind.js';

type Scalar = string | number | boolean | null;

const CLAIM_PATH = /^[^.]+(?:\.[^.]+)*$/;

export const claimKind: KindSpec = {
  keys: ['claim', 'equals', 'matches'],
  compile(reader) {
    const path = readClaimPath(reader);
    const match = readComparison(reader);
    if (path === INVALID || match === INVALID) return INVALID;
    return ({ identity }) => verdict(match(claimAt(identity.claims, path)));
  },
};

function readClaimPath(reader: DocumentReader): readonly string[] | Invalid {
  const value = reader.required('claim');
  if (value === INVALID) return INVALID;
  if (typeof value !== 'string' || !CLAIM_PATH.test(value)) {
    return reader.fail('claim', `expected a dotted claim path such as "ak_proxy.is_superuser", got ${show(value)}`);
  }
  return value.split('.');
}

function readComparison(reader: DocumentReader): ((value: unknown) => boolean) | Invalid {
  const hasEquals = reader.has('equals');
  const hasMatches = reader.has('matches');
  if (hasEquals && hasMatches) return reader.fail('matches', 'cannot be combined with equals: give exactly one of them');
  if (!hasEquals && !hasMatches) return reader.fail('', 'expected exactly one of equals or matches');
  if (hasMatches) {
    const re = compileRegex(reader.optional('matches'), reader.key('matches'), reader.problems);
    if (re === INVALID) return INVALID;
    // Numbers and booleans are not coerced: `matches: '^1$'` never matches the number 1.
    return (value) => typeof value === 'string' && re.test(value);
  }
  const expected = reader.optional('equals');
  if (!isScalar(expected)) {
    return reader.fail('equals', `expected a string, number, true, false or null, got ${show(expected)}`);
  }
  return (value) => value === expected || (Array.isArray(value) && value.some((item) => item === expected));
}

function isScalar(value: unknown): value is Scalar {
  if (typeof value === 'number') return Number.isFinite(value);
  return value === null || typeof value === 'string' || typeof value === 'boolean';
}

/** Follows own properties of plain objects only: `constructor` or `__proto__` find nothing. */
function claimAt(claims: Readonly<Record<string, unknown>>, path: readonly string[]): unknown {
  let current: unknown = claims;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null || Array.isArray(current) || !Object.hasOwn(current, segment)) {
      return undefined;
    }
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}
