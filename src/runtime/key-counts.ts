/**
 * How many parts of the graph hold each long-lived resource key (an upstream pool, a health state,
 * a metric series...). A new graph built from the previous one adjusts the counts of the parts it
 * replaced instead of gathering every key of every part again, and learns which keys no part holds
 * any more — the only ones worth releasing. Readable as a set of the keys held.
 */
export class KeyCounts implements ReadonlySet<string> {
  readonly #counts = new Map<string, number>();

  get size(): number {
    return this.#counts.size;
  }

  has(key: string): boolean {
    return this.#counts.has(key);
  }

  add(keys: readonly string[]): void {
    for (const k of keys) this.#counts.set(k, (this.#counts.get(k) ?? 0) + 1);
  }

  /** drops one hold on each key; appends to `released` the keys nothing holds any more */
  remove(keys: readonly string[], released: string[]): void {
    for (const k of keys) {
      const n = this.#counts.get(k);
      if (n === undefined) continue;
      if (n > 1) this.#counts.set(k, n - 1);
      else {
        this.#counts.delete(k);
        released.push(k);
      }
    }
  }

  keys(): SetIterator<string> {
    return this.#counts.keys();
  }

  values(): SetIterator<string> {
    return this.#counts.keys();
  }

  *entries(): SetIterator<[string, string]> {
    for (const k of this.#counts.keys()) yield [k, k];
  }

  [Symbol.iterator](): SetIterator<string> {
    return this.#counts.keys();
  }

  forEach(fn: (value: string, key: string, set: ReadonlySet<string>) => void, thisArg?: unknown): void {
    for (const k of this.#counts.keys()) fn.call(thisArg, k, k, this);
  }
}
