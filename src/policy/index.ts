export { normalizePath, type NormalizedPath } from './normalize-path.js';
export { compileSkipPaths, type SkipPathMatcher, type SkipPathOptions } from './skip-path.js';
export type {
  ApplicationPolicy,
  Policy,
  PolicyDecision,
  PolicyInput,
  PolicyKind,
  PolicyRequest,
  PolicySet,
  PolicyVerdict,
} from './types.js';
export { POLICY_KINDS } from './types.js';
export { loadPolicies, isPolicyFileName } from './load.js';
export { parsePolicyFiles, type PolicyFile } from './parse.js';
export {
  compileApplicationPolicies,
  compileAllApplicationPolicies,
  type CompileOptions,
  type PolicyApplication,
} from './bindings.js';
export { PolicyWatcher, type PolicyWatcherOptions } from './watcher.js';
export { compileCidrs, type AddressMatcher } from './ip.js';
