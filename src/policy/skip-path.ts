/**
 * Unauthenticated paths (`skipPathRegex`), in RE2 syntax as authentik's are written (re2js: a
 * maintained pure-JavaScript port of RE2, linear-time, so a pattern cannot be made to backtrack
 * for seconds on a crafted path). Compiled once at start-up; matched unanchored, as authentik
 * does, against the normalized path, never the raw request target or the query. In
 * forward_domain the subject is `scheme://host` + the normalized path, as authentik matches the
 * URL there.
 *
 * @see https://github.com/google/re2/wiki/Syntax
 */

import { RE2JS } from 're2js';

export interface SkipPathMatcher {
  /** `host` is the host the client asked for (used in forward_domain only). */
  matches(normalizedPath: string, host: string): boolean;
}

export interface SkipPathOptions {
  /** forward_domain: match `scheme://host/path` with this scheme (`https:`); null: the path alone. */
  readonly urlScheme: string | null;
}

const NEVER: SkipPathMatcher = { matches: () => false };

export function compileSkipPaths(patterns: readonly string[], options: SkipPathOptions = { urlScheme: null }): SkipPathMatcher {
  if (patterns.length === 0) {
    return NEVER;
  }
  const compiled = patterns.map((pattern) => RE2JS.compile(pattern));
  const { urlScheme } = options;
  if (urlScheme === null) {
    return { matches: (path) => compiled.some((re) => re.test(path)) };
  }
  return {
    matches: (path, host) => {
      const url = `${urlScheme}//${host}${path}`;
      return compiled.some((re) => re.test(url));
    },
  };
}
