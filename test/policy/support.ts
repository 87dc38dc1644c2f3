/** Builders for policy tests: identities, requests, in-memory policy folders and their problems. */

import type { Identity } from '../../src/auth/index.js';
import { isPortcullisError, ValidationError } from '../../src/errors/index.js';
import {
  compileApplicationPolicies,
  parsePolicyFiles,
  type PolicyDecision,
  type PolicyFile,
  type PolicyRequest,
  type PolicySet,
} from '../../src/policy/index.js';

export const DIR = '/etc/portcullis/policies';

export function identity(overrides: Partial<Identity> = {}): Identity {
  return {
    sub: 'user-1',
    username: 'alice',
    email: 'alice@example.com',
    name: 'Alice',
    groups: ['staff'],
    entitlements: [],
    attributes: {},
    claims: {},
    token: 'token',
    expiresAt: 1_900_000_000_000,
    method: 'session',
    ...overrides,
  };
}

export function request(overrides: Partial<PolicyRequest> = {}): PolicyRequest {
  return { method: 'GET', path: '/', host: 'app.example.com', ip: '10.1.2.3', ...overrides };
}

/** A policy set from in-memory files (`name → text`). */
export function setOf(files: Readonly<Record<string, string>>, dir = DIR): PolicySet {
  return parsePolicyFiles(dir, toFiles(files));
}

function toFiles(files: Readonly<Record<string, string>>): PolicyFile[] {
  return Object.entries(files).map(([name, text]) => ({ name, text }));
}

export interface Binding {
  readonly policy: string;
  readonly negate?: boolean;
}

/** Binds `bindings` (names, or `!name` for a negated binding) in an app and evaluates once. */
export function decide(
  set: PolicySet,
  bindings: readonly string[],
  input: { identity?: Identity; request?: PolicyRequest; now?: Date; mode?: 'all' | 'any' } = {},
): PolicyDecision {
  const app = {
    name: 'app',
    policies: {
      mode: input.mode ?? 'all',
      bindings: bindings.map((b) => ({ policy: b.replace(/^!/, ''), negate: b.startsWith('!') })),
    },
  };
  const now = input.now ?? new Date('2024-06-05T12:00:00Z');
  return compileApplicationPolicies(set, app, 0, { now: () => now }).evaluate(input.identity ?? identity(), input.request ?? request());
}

/** Whether the single policy of `yaml` (named `p`) allows the input. */
export function allows(yaml: string, input: { identity?: Identity; request?: PolicyRequest; now?: Date } = {}): boolean {
  return decide(setOf({ 'p.yaml': yaml }), ['p'], input).allow;
}

/** The ValidationError `fn` throws; fails when it throws nothing or something else. */
export function validationErrorOf(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (error) {
    if (isPortcullisError(error) && error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

/** Every problem of a folder as `path: message` lines. */
export function problemLines(files: Readonly<Record<string, string>>, dir = DIR): string[] {
  return validationErrorOf(() => setOf(files, dir)).problems.map((p) => `${p.path}: ${p.message}`);
}
