import type { PolicyKind } from '../types.js';
import { claimKind } from './claim.js';
import { expressionKind } from './expression.js';
import { groupKind } from './group.js';
import type { KindSpec } from './kind.js';
import { networkKind } from './network.js';
import { requestKind } from './request.js';
import { timeKind } from './time.js';

export type { KindSpec, PolicyTest } from './kind.js';

export const KINDS: Readonly<Record<PolicyKind, KindSpec>> = {
  group: groupKind,
  claim: claimKind,
  network: networkKind,
  time: timeKind,
  request: requestKind,
  expression: expressionKind,
};
