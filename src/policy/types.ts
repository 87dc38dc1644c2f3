/**
 * The values policy evaluation works with. Evaluation is a pure function of the identity, a
 * neutral description of the request and the time: no I/O, no parsing, no throwing.
 */

import type { Identity } from '../auth/index.js';

/** What a policy may look at in a request; the gateway fills it once per request. */
export interface PolicyRequest {
  /** The request method as sent (methods are case-sensitive, RFC 9110 §9.1). */
  readonly method: string;
  /** The normalized path (see `normalizePath`), without the query. */
  readonly path: string;
  /** The host the request was routed by. */
  readonly host: string;
  /** The client address after `trustedProxies` handling. */
  readonly ip: string;
}

/** An application's verdict on one request. `reasons` are for logs, never shown to the caller. */
export type PolicyDecision =
  | { readonly allow: true }
  | {
      readonly allow: false;
      /**
       * One entry per binding that denied: the policy name, `not <name>` for a negated binding
       * whose policy matched, `<name>: error: <why>` for a policy that could not be evaluated.
       */
      readonly reasons: readonly string[];
    };

/** Every application's compiled bindings; `evaluate` is pure given the injected clock. */
export interface ApplicationPolicy {
  evaluate(identity: Identity, request: PolicyRequest): PolicyDecision;
}

/** Everything one policy sees: the caller, the request and the instant of the decision. */
export interface PolicyInput {
  readonly identity: Identity;
  readonly request: PolicyRequest;
  readonly now: Date;
}

/**
 * One policy's answer. `error` means the policy could not be evaluated (an expression that
 * failed or did not return a bool); it denies whether or not the binding is negated.
 */
export type PolicyVerdict =
  | { readonly outcome: 'match' }
  | { readonly outcome: 'no-match' }
  | { readonly outcome: 'error'; readonly message: string };

export const MATCH: PolicyVerdict = Object.freeze({ outcome: 'match' });
export const NO_MATCH: PolicyVerdict = Object.freeze({ outcome: 'no-match' });

export function verdict(matched: boolean): PolicyVerdict {
  return matched ? MATCH : NO_MATCH;
}

export const POLICY_KINDS = ['group', 'claim', 'network', 'time', 'request', 'expression'] as const;
export type PolicyKind = (typeof POLICY_KINDS)[number];

/** A policy compiled at load time: regexes, address lists and programs are ready to run. */
export interface Policy {
  readonly name: string;
  readonly kind: PolicyKind;
  /** Where it was defined, as shown in problems: `policies/staff.yaml [2]`. */
  readonly origin: string;
  test(input: PolicyInput): PolicyVerdict;
}

/** The policies of one folder, validated and compiled as a whole. Immutable. */
export interface PolicySet {
  /** The folder they were read from (absolute). */
  readonly dir: string;
  /** False when the folder does not exist (an empty set). */
  readonly found: boolean;
  readonly names: ReadonlySet<string>;
  get(name: string): Policy | undefined;
}
