/**
 * Which entries of a compact in-process map also keep their decoded form. Reading an entry
 * whose decoded form is kept costs nothing extra and hands back the same object every time
 * (so what is memoized per record or identity, such as the identity headers, stays memoized);
 * the others are decoded again from their compact form when next read.
 *
 * A fixed ring with a second chance (the CLOCK algorithm): a read only sets a flag, no map is
 * touched; when a newly decoded entry needs a place, entries read since the hand last passed
 * are kept and the first one that was not loses its decoded form.
 */

export interface Warmable {
  /** Set on every read of the decoded form. */
  recentlyRead: boolean;
  /** Where the entry is in the ring, -1 when it is not: kept by the ring, for `forget`. */
  warmIndex: number;
  readonly isWarm: boolean;
  /** Drops the decoded form; the compact form stays. */
  cool(): void;
}

export class WarmSet<T extends Warmable> {
  readonly #ring: (T | undefined)[];
  #hand = 0;

  constructor(size: number) {
    if (!Number.isSafeInteger(size) || size < 1) throw new RangeError('warm set size must be a positive integer');
    this.#ring = new Array<T | undefined>(size).fill(undefined);
  }

  /** Takes an entry that has just been given its decoded form (and is not in the ring yet). */
  admit(entry: T): void {
    const ring = this.#ring;
    let held: T | undefined;
    for (;;) {
      held = ring[this.#hand];
      if (held === undefined || !held.isWarm) break;
      if (!held.recentlyRead) {
        held.cool();
        break;
      }
      held.recentlyRead = false;
      this.#hand = (this.#hand + 1) % ring.length;
    }
    if (held !== undefined) held.warmIndex = -1;
    ring[this.#hand] = entry;
    entry.warmIndex = this.#hand;
    entry.recentlyRead = false;
    this.#hand = (this.#hand + 1) % ring.length;
  }

  /** Takes an entry out (it was deleted): the ring keeps no compact form of a gone entry alive. */
  forget(entry: T): void {
    if (entry.warmIndex >= 0 && this.#ring[entry.warmIndex] === entry) this.#ring[entry.warmIndex] = undefined;
    entry.warmIndex = -1;
    entry.cool();
  }
}
