/** `kind: group` — allowed when the identity is in any of the listed groups (exact, case-sensitive). */

import { INVALID } from '../problems.js';
import { verdict } from '../types.js';
import type { KindSpec } from './kind.js';

export const groupKind: KindSpec = {
  keys: ['groups'],
  compile(reader) {
    const groups = reader.list(
      'groups',
      { expected: 'a list of group names', empty: 'expected at least one group name' },
      reader.stringItem('a group name'),
    );
    if (groups === INVALID || groups === undefined) return INVALID;
    const wanted = new Set(groups);
    return ({ identity }) => verdict(identity.groups.some((group) => wanted.has(group)));
  },
};
