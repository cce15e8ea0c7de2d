/**
 * How many live owners share each metric series (named by its joined label values): two guards of
 * a route's successive revisions, two tees of a route on the same shadow backend, or a server's
 * health states under its old and new URL write the same series, which goes only with its last
 * owner.
 */
export class SeriesOwners {
  readonly #owners = new Map<string, number>();

  add(labels: string): void {
    this.#owners.set(labels, (this.#owners.get(labels) ?? 0) + 1);
  }

  /** one owner fewer; true when it was the last, and the caller removes the series */
  remove(labels: string): boolean {
    const n = (this.#owners.get(labels) ?? 1) - 1;
    if (n > 0) {
      this.#owners.set(labels, n);
      return false;
    }
    this.#owners.delete(labels);
    return true;
  }
}
