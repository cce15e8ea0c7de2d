import type { IncomingHttpHeaders } from 'node:http';
import type { Counter } from 'prom-client';
import { createBalancer } from '../balancing/create-balancer.js';
import type { Balancer } from '../balancing/types.js';
import type { ForceSpec, StickySpec } from '../config/schema/route.js';
import type { ChoiceSink, RouteTarget, TargetChooser } from '../contracts/route.js';
import { readCookie } from '../http/cookie.js';
import { SplitArm } from './split-arm.js';

export interface SplitterOptions {
  readonly routeId: string;
  readonly arms: ReadonlyArray<{ readonly target: RouteTarget; readonly weight: number }>;
  readonly sticky: StickySpec | undefined;
  readonly force: ForceSpec | undefined;
  /** counts force values that name no backend of the split (ignored) */
  readonly forceIgnored: ReturnType<Counter<'route'>['labels']>;
  readonly random?: () => number;
}

/**
 * A canary split (`split`, `sticky`, `force`; docs/canary.md), decided per request in this order:
 * 1. `force` — a header or cookie naming a backend of the split pins the request there, even at
 *    weight 0 or with its guard tripped; a name outside the split is ignored (and counted).
 * 2. `sticky.cookie` — a cookie naming a weighted, untripped backend of the split keeps the client
 *    there; otherwise a fresh draw, remembered in a new cookie.
 * 3. `sticky.header` — weighted rendezvous hashing of the header's value over the arms: the same
 *    user always lands on the same side, and raising a backend's weight only moves users *onto* it
 *    (nobody on the canary goes back when its share grows). Without the header: a weighted draw.
 * 4. otherwise smooth weighted round-robin: 90/10 is exactly 9 of every 10 requests, not a coin flip.
 */
export class Splitter implements TargetChooser {
  readonly #arms = new Map<string, SplitArm>();
  readonly #weighted: Balancer<SplitArm>;
  readonly #hashed: Balancer<SplitArm> | undefined;
  readonly #opts: SplitterOptions;
  readonly #cookieSuffix: string;
  readonly #forceHeader: string | undefined;

  constructor(opts: SplitterOptions) {
    this.#opts = opts;
    const arms = opts.arms.map((a) => new SplitArm(a.target, a.weight));
    for (const arm of arms) {
      arm.siblings = arms;
      this.#arms.set(arm.id, arm);
    }
    this.#weighted = createBalancer('round-robin', arms, opts.random ? { random: opts.random } : {});
    this.#hashed =
      opts.sticky && 'header' in opts.sticky ? createBalancer('hash', arms, { hashKey: `header:${opts.sticky.header}` }) : undefined;
    this.#cookieSuffix = '; Path=/; HttpOnly; SameSite=Lax';
    this.#forceHeader = opts.force?.header?.toLowerCase();
  }

  choose(headers: IncomingHttpHeaders, clientIp: string, sink: ChoiceSink): RouteTarget {
    const { force, sticky } = this.#opts;
    if (force !== undefined) {
      const named = this.#forced(headers, force);
      if (named !== undefined) {
        const arm = this.#arms.get(named);
        if (arm !== undefined) return arm.target;
        this.#opts.forceIgnored.inc();
      }
    }
    const input = { headers, clientIp };
    if (sticky !== undefined && 'cookie' in sticky) {
      const pinned = readCookie(headers, sticky.cookie);
      const arm = pinned === undefined ? undefined : this.#arms.get(pinned);
      if (arm !== undefined && arm.weight > 0 && arm.isAvailable()) return arm.target;
      const drawn = this.#draw(input);
      sink.setCookie = `${sticky.cookie}=${drawn.id}${this.#cookieSuffix}`;
      return drawn.target;
    }
    if (this.#hashed !== undefined) {
      const arm = this.#hashed.pick(input);
      if (arm !== undefined) return arm.target;
    }
    return this.#draw(input).target;
  }

  #draw(input: { headers: IncomingHttpHeaders; clientIp: string }): SplitArm {
    // Validation guarantees a positive total weight, and an arm is unavailable only while an
    // untripped weighted sibling exists: a pick always succeeds.
    return this.#weighted.pick(input) as SplitArm;
  }

  #forced(headers: IncomingHttpHeaders, force: ForceSpec): string | undefined {
    if (this.#forceHeader !== undefined) {
      const v = headers[this.#forceHeader];
      const s = typeof v === 'string' ? v : v?.[0];
      if (s !== undefined && s !== '') return s.trim();
    }
    if (force.cookie !== undefined) return readCookie(headers, force.cookie);
    return undefined;
  }
}
