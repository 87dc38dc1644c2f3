/**
 * Durations as written in the configuration: one or more `<integer><unit>` parts, largest unit
 * first, each unit at most once. Units: h, m, s, ms. Examples: "500ms", "30s", "5m", "1h30m".
 */

const DURATION = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/;
const UNIT_MS = [3_600_000, 60_000, 1_000, 1] as const;

/** Milliseconds, or null when `text` is not a duration (no bare numbers, no spaces, no fractions). */
export function parseDuration(text: string): number | null {
  const match = DURATION.exec(text);
  if (match === null || text === '') return null;
  let total = 0;
  UNIT_MS.forEach((unit, i) => {
    const digits = match[i + 1];
    if (digits !== undefined) total += Number(digits) * unit;
  });
  return Number.isSafeInteger(total) ? total : null;
}
