import type { Lease } from './lease.js';

interface Entry<T> {
  readonly key: string;
  readonly value: T;
  holds: number;
  /** false once cleaned up, or dropped by `clear()`: late releases change nothing */
  live: boolean;
}

class Hold<T> implements Lease<T> {
  readonly value: T;
  #entry: Entry<T> | undefined;
  readonly #drop: (entry: Entry<T>) => void;

  constructor(entry: Entry<T>, drop: (entry: Entry<T>) => void) {
    this.value = entry.value;
    this.#entry = entry;
    this.#drop = drop;
  }

  release(): void {
    const entry = this.#entry;
    if (entry === undefined) return;
    this.#entry = undefined;
    this.#drop(entry);
  }
}

/**
 * A registry's bookkeeping: its values by key, each with a count of the leases held on it. The
 * registry computes the key and makes the value; the table counts, and when the last lease of a
 * value is released it forgets the value and hands it to the registry's `cleanup`.
 */
export class LeaseTable<T> {
  readonly #entries = new Map<string, Entry<T>>();
  readonly #cleanup: (value: T) => void;
  readonly #drop = (entry: Entry<T>): void => {
    if (!entry.live || --entry.holds > 0) return;
    entry.live = false;
    if (this.#entries.get(entry.key) === entry) this.#entries.delete(entry.key);
    this.#cleanup(entry.value);
  };

  constructor(cleanup: (value: T) => void) {
    this.#cleanup = cleanup;
  }

  /** A lease on the value under `key`, made by `create` when there is none (if it throws, nothing is held). */
  acquire(key: string, create: () => T): Lease<T> {
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      entry = { key, value: create(), holds: 0, live: true };
      this.#entries.set(key, entry);
    }
    entry.holds++;
    return new Hold(entry, this.#drop);
  }

  /** the value under `key`, if any, without taking a lease */
  peek(key: string): T | undefined {
    return this.#entries.get(key)?.value;
  }

  /**
   * Hands the value under `key` out no more: the next `acquire` makes a new one. Leases already
   * held keep the old value, which is cleaned up when the last of them is released.
   */
  detach(key: string): void {
    this.#entries.delete(key);
  }

  *values(): IterableIterator<T> {
    for (const e of this.#entries.values()) yield e.value;
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * Forgets every value without cleaning any up, and returns them (the registry is shutting down
   * and disposes of them its own way). Leases still held on them release nothing.
   */
  clear(): T[] {
    const values: T[] = [];
    for (const e of this.#entries.values()) {
      e.live = false;
      values.push(e.value);
    }
    this.#entries.clear();
    return values;
  }
}
