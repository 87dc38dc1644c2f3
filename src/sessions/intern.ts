/**
 * One shared copy of strings that many entries repeat (a token's header segment, a cookie's
 * name and attributes). Bounded: once full, new strings are simply not shared, so input that
 * varies cannot grow the table.
 */
export class InternTable {
  readonly #strings = new Map<string, string>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  intern(value: string): string {
    const shared = this.#strings.get(value);
    if (shared !== undefined) return shared;
    if (this.#strings.size < this.#max) this.#strings.set(value, value);
    return value;
  }
}
