/**
 * Remembered answers of pure lookups that requests repeat (a Host spelling, a peer address, a
 * TLS server name, an attribute map): the few values real traffic carries are answered from
 * memory, while values a client invents cannot grow it. Bounded by count; when full it starts
 * over rather than tracking recency, because the working set is small and a full memo means
 * someone is sending novelties, whose answers are not worth keeping.
 */

export class BoundedMemo<K, V> {
  readonly #answers = new Map<K, V>();
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = Math.max(1, limit);
  }

  get size(): number {
    return this.#answers.size;
  }

  /** The remembered answer, or undefined (so an answer itself must never be undefined). */
  get(key: K): V | undefined {
    return this.#answers.get(key);
  }

  /** Remembers `answer` for `key` and returns it. */
  remember(key: K, answer: V): V {
    if (this.#answers.size >= this.#limit) {
      this.#answers.clear();
    }
    this.#answers.set(key, answer);
    return answer;
  }

  /** Forgets every answer (what they were computed from has changed). */
  clear(): void {
    this.#answers.clear();
  }
}
