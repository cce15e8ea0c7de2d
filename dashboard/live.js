// Live traffic from the socket's per-second `stats` digests, over a rolling window.

const WINDOW = 10;

export class Traffic {
  constructor() {
    this.window = [];
  }

  add(stats) {
    this.window.push(stats);
    if (this.window.length > WINDOW) this.window.shift();
  }

  #seconds() {
    return this.window.reduce((s, m) => s + (m.intervalMs ?? 1000), 0) / 1000 || 1;
  }

  #requests(pred) {
    let n = 0;
    for (const m of this.window) for (const r of m.requests ?? []) if (pred(r)) n += r.count;
    return n;
  }

  totalRate() {
    return this.#requests(() => true) / this.#seconds();
  }

  routeRate(route) {
    return this.#requests((r) => r.route === route) / this.#seconds();
  }

  backendRate(backend) {
    return this.#requests((r) => r.backend === backend && r.route !== '') / this.#seconds();
  }

  /** fraction of the route's requests that were 5xx, or null without traffic */
  route5xx(route) {
    const all = this.#requests((r) => r.route === route);
    return all === 0 ? null : this.#requests((r) => r.route === route && r.code.startsWith('5')) / all;
  }

  /** backend -> share (0..1) of the route's requests, or an empty map without traffic */
  routeShare(route) {
    const per = new Map();
    let total = 0;
    for (const m of this.window) {
      for (const r of m.requests ?? []) {
        if (r.route !== route) continue;
        per.set(r.backend, (per.get(r.backend) ?? 0) + r.count);
        total += r.count;
      }
    }
    if (total > 0) for (const [b, n] of per) per.set(b, n / total);
    return per;
  }

  teeRate(route, backend, outcome) {
    let n = 0;
    for (const m of this.window) for (const t of m.tee ?? []) if (t.route === route && t.backend === backend && t.outcome === outcome) n += t.count;
    return n / this.#seconds();
  }
}
