import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import type { Balancer } from '../balancing/types.js';
import type { ServerRuntime } from '../contracts/server.js';
import type { TeeOffer } from '../contracts/tee.js';
import { ComparePair, type PrimaryTap } from './compare-pair.js';
import { teeBody } from './shadow-body.js';
import { ShadowHandler } from './shadow-request.js';
import type { TeeState } from './tee-state.js';

/** The shadow side of a tee: its backend's servers on the shadow's own pools. */
export interface ShadowTarget {
  readonly id: string;
  readonly servers: readonly ServerRuntime[];
  readonly balancer: Balancer<ServerRuntime>;
}

/**
 * One tee of one route, for one snapshot. `offer` decides synchronously whether the request is
 * mirrored (counting every reason it is not) and, if so, dispatches the copy at once — before the
 * primary, in the same tick — and returns without waiting for anything. Nothing of the primary
 * waits on the copy, and nothing of the copy waits on the primary.
 */
export class TeeRuntime {
  readonly #methods: ReadonlySet<string>;
  readonly #remove: ReadonlySet<string>;
  readonly #set: readonly string[];

  constructor(
    readonly state: TeeState,
    private readonly shadow: ShadowTarget,
  ) {
    const spec = state.spec;
    this.#methods = new Set(spec.methods);
    const set = spec.headers?.set ?? {};
    this.#remove = new Set(
      [...(spec.headers?.remove ?? []), ...Object.keys(set), 'x-junction-shadow'].map((n) => n.toLowerCase()),
    );
    this.#set = Object.entries(set).flatMap(([k, v]) => [k.toLowerCase(), v]);
  }

  get compares(): boolean {
    return this.state.spec.compare;
  }

  /** `tap`: the primary's response tap, present when a tee of the route compares */
  offer(o: TeeOffer, tap: PrimaryTap | undefined): void {
    const state = this.state;
    const spec = state.spec;
    const method = o.req.method ?? 'GET';
    if (!this.#methods.has(method)) return state.count('skipped_method');
    state.offered++;
    if (!state.sampler.sample(o.req.headers, o.clientIp)) return state.count('skipped_sample');
    if (o.hasBody) {
      const len = o.req.headers['content-length'];
      if (len !== undefined && Number(len) > spec.maxBodyBytes) return state.count('skipped_body');
    }
    if (state.inFlight >= spec.maxInFlight) return state.count('dropped_inflight');
    if (state.bucket !== undefined && !state.bucket.take()) return state.count('dropped_rate');
    if (state.breaker.opened) return state.count('dropped_breaker');
    const server = this.shadow.balancer.pick({ headers: o.req.headers, clientIp: o.clientIp });
    if (server === undefined) return state.count('dropped_breaker');

    let oversize = false;
    const body = o.hasBody ? teeBody(o.req, spec.maxBodyBytes, () => (oversize = true)) : null;
    const pair = tap === undefined || !spec.compare ? undefined : new ComparePair(state, tap.digest, o.requestId, method, o.path);
    if (pair !== undefined) tap?.pairs.push(pair);
    const headers = this.#headers(o.headers);
    // The copy's closures capture only what they need: never the primary's request object, which
    // would otherwise stay alive (and be promoted by the GC) for as long as a slow shadow takes.
    const path = o.path;
    const start = (): Promise<void> => {
      const began = performance.now();
      return new Promise<void>((resolve, reject) => {
        state.inFlight++;
        state.count('sent');
        const handler = new ShadowHandler(resolve, reject, pair, spec.timeoutMs);
        try {
          const options: Dispatcher.DispatchOptions & { servername?: string } = {
            origin: server.upstream.origin,
            path,
            method: method as Dispatcher.HttpMethod,
            headers,
            body,
            headersTimeout: spec.timeoutMs,
            bodyTimeout: spec.timeoutMs,
            // https: the server's TLS name, not one undici would take from Host (UpstreamTls)
            servername: server.upstream.tls?.dispatchName,
          };
          server.upstream.pool.dispatch(options, handler);
        } catch (err) {
          handler.onError(err as Error);
        }
      }).then(
        () => state.done(true, performance.now() - began),
        (err: unknown) => {
          if (oversize) {
            state.inFlight--;
            state.count('skipped_body');
          } else state.done(false, 0);
          throw err;
        },
      );
    };
    state.breaker.fire(start).catch((err: { code?: string }) => {
      if (err?.code === 'EOPENBREAKER') {
        body?.destroy();
        pair?.shadowDone(false);
        state.count('dropped_breaker');
      }
    });
  }

  #headers(primary: readonly string[]): string[] {
    const out: string[] = [];
    for (let i = 0; i < primary.length; i += 2) {
      const name = primary[i] as string;
      if (this.#remove.has(name.toLowerCase())) continue;
      out.push(name, primary[i + 1] as string);
    }
    out.push(...this.#set, 'x-junction-shadow', '1');
    return out;
  }
}
