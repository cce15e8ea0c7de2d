import type { Counter } from 'prom-client';

export type DeltaRow<L extends string> = { readonly [K in L]: string } & { readonly count: number };

/**
 * How much each series of a prom-client counter grew since the previous reading. Reads the
 * counter's current values (one `get()` per tick: nothing is added to the request path) and keeps
 * the last values; a series that shrank (reset, or removed and re-created) counts from zero.
 */
export class CounterDeltas<L extends string> {
  #last = new Map<string, number>();

  constructor(
    private readonly counter: Counter<L>,
    private readonly labels: readonly L[],
  ) {}

  /** Takes a reading as the baseline without reporting it (a first client connected). */
  async reset(): Promise<void> {
    await this.next();
  }

  /** The series that grew since the last reading, largest first. */
  async next(): Promise<DeltaRow<L>[]> {
    const { values } = await this.counter.get();
    const now = new Map<string, number>();
    const rows: DeltaRow<L>[] = [];
    for (const v of values) {
      const labels = v.labels as Partial<Record<L, string | number>>;
      const parts = this.labels.map((l) => String(labels[l] ?? ''));
      const key = parts.join('\u0000');
      now.set(key, v.value);
      const before = this.#last.get(key) ?? 0;
      const delta = v.value >= before ? v.value - before : v.value;
      if (delta <= 0) continue;
      const row = Object.fromEntries(this.labels.map((l, i) => [l, parts[i] as string])) as Record<L, string>;
      rows.push({ ...row, count: delta } as DeltaRow<L>);
    }
    this.#last = now;
    return rows.sort((a, b) => b.count - a.count);
  }
}
