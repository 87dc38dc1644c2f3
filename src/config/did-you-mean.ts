/** The known key an unknown one was probably meant to be: `listne` → `listen`, `client_id` → `clientId`. */

/** Edits (insert, delete, substitute, swap two neighbours) between two strings, ignoring case. */
function distance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const rows: number[][] = Array.from({ length: s.length + 1 }, (_, i) => [i, ...new Array<number>(t.length).fill(0)]);
  for (let j = 1; j <= t.length; j += 1) (rows[0] as number[])[j] = j;
  const at = (i: number, j: number): number => rows[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= s.length; i += 1) {
    for (let j = 1; j <= t.length; j += 1) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      (rows[i] as number[])[j] = best;
    }
  }
  return at(s.length, t.length);
}

/** Short keys tolerate one slip, longer ones two: `idle` is not a typo of `idp`, `audience` is one of `audiences`. */
function tolerance(key: string): number {
  return key.length <= 4 ? 1 : 2;
}

/** The closest known key within tolerance, or null when none is close enough to be worth suggesting. */
export function closestKey(unknown: string, known: readonly string[]): string | null {
  let best: { key: string; edits: number } | null = null;
  for (const key of known) {
    const edits = distance(unknown, key);
    if (edits <= tolerance(unknown) && (best === null || edits < best.edits)) best = { key, edits };
  }
  return best?.key ?? null;
}

/** The problem message for a key the schema does not know. */
export function unknownKeyMessage(key: string, known: readonly string[]): string {
  const suggestion = closestKey(key, known);
  return suggestion === null ? 'unknown key' : `unknown key (did you mean "${suggestion}"?)`;
}
