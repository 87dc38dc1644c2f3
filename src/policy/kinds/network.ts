/** `kind: network` — allowed when the client address (after `trustedProxies`) is in any range. */

import { parseCidr } from '../../config/index.js';
import { compileCidrs } from '../ip.js';
import { INVALID, show } from '../problems.js';
import type { Invalid, Problems } from '../problems.js';
import { verdict } from '../types.js';
import type { KindSpec } from './kind.js';

export const networkKind: KindSpec = {
  keys: ['cidrs'],
  compile(reader) {
    const ranges = reader.list(
      'cidrs',
      { expected: 'a list of CIDR ranges', empty: 'expected at least one CIDR range' },
      (value, at) => readRange(value, at, reader.problems),
    );
    if (ranges === INVALID || ranges === undefined) return INVALID;
    const contains = compileCidrs(ranges);
    return ({ request }) => verdict(contains(request.ip));
  },
};

function readRange(value: unknown, at: string, problems: Problems): string | Invalid {
  const parsed = typeof value === 'string' ? parseCidr(value) : { ok: false as const, networkAddress: null };
  if (parsed.ok) return parsed.cidr;
  if (parsed.networkAddress !== null) {
    return problems.add(at, `expected a network address, got ${show(value)} (did you mean ${show(parsed.networkAddress)}?)`);
  }
  return problems.add(at, `expected an IP address or a CIDR range such as "10.0.0.0/8", got ${show(value)}`);
}
