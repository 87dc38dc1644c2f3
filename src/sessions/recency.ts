/**
 * Least-recently-used order kept in the entries themselves (a doubly linked list), for the
 * bounded in-process maps (memory session store, credential cache).
 *
 * Why not a Map's insertion order with delete + set on every read: V8 leaves a deleted Map
 * entry in its hash chain until the table is rebuilt, so reading the same key again and again
 * in a large Map walks a chain that grows with every read (about 0.3 ms per read of one busy
 * session among 100,000). Relinking two neighbours costs the same whatever the size.
 */

export interface RecencyLinks<T> {
  older: T | undefined;
  newer: T | undefined;
}

export class RecencyList<T extends RecencyLinks<T>> {
  #oldest: T | undefined;
  #newest: T | undefined;

  /** The least recently used entry, if any. */
  get oldest(): T | undefined {
    return this.#oldest;
  }

  /** Adds an entry that is in no list as the most recently used. */
  push(entry: T): void {
    entry.older = this.#newest;
    entry.newer = undefined;
    if (this.#newest === undefined) this.#oldest = entry;
    else this.#newest.newer = entry;
    this.#newest = entry;
  }

  /** Marks an entry of this list as the most recently used. */
  touch(entry: T): void {
    if (entry === this.#newest) return;
    this.remove(entry);
    this.push(entry);
  }

  remove(entry: T): void {
    if (entry.older === undefined) this.#oldest = entry.newer;
    else entry.older.newer = entry.newer;
    if (entry.newer === undefined) this.#newest = entry.older;
    else entry.newer.older = entry.older;
    entry.older = undefined;
    entry.newer = undefined;
  }
}
