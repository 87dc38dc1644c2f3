export { normalizePath, type NormalizedPath } from './normalize-path.js';
export { compileSkipPaths, type SkipPathMatcher } from './skip-path.js';
