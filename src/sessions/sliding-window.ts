/**
 * Approximate sliding-window counting with two fixed buckets (the previous window's count
 * weighted by how much of it still overlaps the sliding window). O(1) memory per key, unlike a
 * log of every hit, which an attacker hammering one key could grow without bound.
 */

export interface WindowPosition {
  /** Index of the fixed window `now` falls in. */
  readonly bucket: number;
  /** Milliseconds since that window started. */
  readonly elapsed: number;
}

export function windowPosition(now: number, windowMs: number): WindowPosition {
  const bucket = Math.floor(now / windowMs);
  return { bucket, elapsed: now - bucket * windowMs };
}

/**
 * Rounded up so a limit is never undercounted. Mirrored in Lua by the Redis store's `hit` script.
 */
export function slidingCount(current: number, previous: number, elapsed: number, windowMs: number): number {
  return current + Math.ceil((previous * (windowMs - elapsed)) / windowMs);
}
