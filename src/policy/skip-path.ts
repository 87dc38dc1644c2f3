/**
 * Unauthenticated paths (`skipPathRegex`). The regexes are compiled once at start-up and
 * always run against the normalized path, never the raw request target or the query.
 */

export interface SkipPathMatcher {
  matches(normalizedPath: string): boolean;
}

const NEVER: SkipPathMatcher = { matches: () => false };

export function compileSkipPaths(patterns: readonly string[]): SkipPathMatcher {
  if (patterns.length === 0) {
    return NEVER;
  }
  const regexes = patterns.map((pattern) => new RegExp(pattern));
  return { matches: (path) => regexes.some((regex) => regex.test(path)) };
}
