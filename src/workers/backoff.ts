/**
 * How long the primary waits before replacing a worker that died: nothing for the first death,
 * then doubling up to a cap, so a worker that crashes at once after every start (a crash loop)
 * costs a fork every few seconds rather than a spinning CPU. A worker that lived long enough
 * resets the count.
 */

export interface BackoffPolicy {
  /** Delay of the second death in a row; each further one doubles it. */
  readonly baseMs: number;
  readonly maxMs: number;
  /** A worker that lived at least this long was no crash loop: the count starts again. */
  readonly healthyAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 250, maxMs: 10_000, healthyAfterMs: 10_000 };

export class RestartBackoff {
  readonly #policy: BackoffPolicy;
  #deaths = 0;

  constructor(policy: BackoffPolicy = DEFAULT_BACKOFF) {
    this.#policy = policy;
  }

  /** Records a death after `livedMs` and returns how long to wait before the replacement. */
  next(livedMs: number): number {
    if (livedMs >= this.#policy.healthyAfterMs) this.#deaths = 0;
    this.#deaths += 1;
    if (this.#deaths === 1) return 0;
    return Math.min(this.#policy.baseMs * 2 ** (this.#deaths - 2), this.#policy.maxMs);
  }
}
