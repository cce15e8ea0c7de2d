/** `000` .. `999`: the milliseconds part of an ISO time, built once */
const MILLIS: readonly string[] = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

/**
 * ISO 8601 UTC time with milliseconds, exactly as `Date.prototype.toISOString` writes it (and so as
 * pino's `isoTime` writes the process log's `time`): `2025-01-31T12:34:56.789Z`.
 *
 * Why not `new Date(ms).toISOString()` per call: on the access log's hot path (one line per request)
 * that allocates a Date and formats every field each time. This keeps the formatted second
 * (`2025-01-31T12:34:56.`) and appends the milliseconds from a table, so a call costs a subtraction
 * and a concatenation until the second changes (`bench/access-log.ts` measures both). One instance
 * per writer: the cache is the instance's, not the module's.
 */
export class IsoTime {
  /** start of the cached second, epoch ms; NaN before the first call */
  #secondStart = Number.NaN;
  #secondPrefix = '';

  /** `ms`: epoch milliseconds, as `Date.now()` returns (a fraction is dropped) */
  format(ms: number): string {
    ms = Math.floor(ms);
    let offset = ms - this.#secondStart;
    if (!(offset >= 0 && offset < 1000)) {
      const start = ms - (((ms % 1000) + 1000) % 1000);
      this.#secondStart = start;
      this.#secondPrefix = new Date(start).toISOString().slice(0, 20); // up to and including the '.'
      offset = ms - start;
    }
    return this.#secondPrefix + MILLIS[offset] + 'Z';
  }
}
