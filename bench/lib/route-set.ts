import type { LoadRequest } from './load-types.js';

/** routes per backend, and servers per backend (the goal: 10,000 routes over 1,000 backends of 5 servers) */
export const ROUTES_PER_BACKEND = 10;
export const SERVERS_PER_BACKEND = 5;
/** of a backend's servers, the first ones are listed inline in its document, the rest under `servers/<backend>/<id>` keys */
const INLINE_SERVERS = 3;

/** How many backends a route set of `count` routes has. */
export function backendCount(count: number): number {
  return Math.max(1, Math.ceil(count / ROUTES_PER_BACKEND));
}

/**
 * A synthetic configuration of `count` routes over `backendCount(count)` backends, route i using
 * backend `b<i % backends>`. Each backend has 5 servers `s1`..`s5`, all pointing at the same
 * upstream (distinct ids, same URL — the decoder allows that; they share one pool): s1..s3 inline
 * in the backend document, s4 and s5 as `servers/<backend>/<id>` keys, so both sources are loaded.
 * Route i: every tenth has no host and a global prefix `/g<i>/`; the others are
 * `h<i/10>.bench.test` + `/p<i>/` — so 10 routes per host, count/10 hosts, and count/10 host-less
 * prefix routes every request also has to consider.
 */
export function routeSetEntries(prefix: string, count: number, upstreamUrl: string): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  const backends = backendCount(count);
  for (let b = 0; b < backends; b++) {
    const servers = [];
    for (let s = 1; s <= INLINE_SERVERS; s++) servers.push({ id: `s${s}`, url: upstreamUrl });
    out.push([`${prefix}/backends/b${b}`, { servers }]);
    for (let s = INLINE_SERVERS + 1; s <= SERVERS_PER_BACKEND; s++) out.push([`${prefix}/servers/b${b}/s${s}`, { url: upstreamUrl }]);
  }
  for (let i = 0; i < count; i++) out.push([`${prefix}/routes/r${i}`, { match: routeMatch(i), backend: `b${i % backends}` }]);
  return out;
}

function routeMatch(i: number): { host?: string; pathPrefix: string } {
  return i % 10 === 0 ? { pathPrefix: `/g${i}/` } : { host: `h${Math.floor(i / 10)}.bench.test`, pathPrefix: `/p${i}/` };
}

/** A request that matches route i. */
export function requestFor(i: number): LoadRequest {
  const m = routeMatch(i);
  return { method: 'GET', path: `${m.pathPrefix}items/1`, headers: { host: m.host ?? 'any.bench.test' } };
}

/**
 * Ten requests spread over the table, with the same shape mix at every size (one host-less
 * route, nine host routes), so that 10 and N routes are compared on equal requests and backends.
 */
export function requestMix(count: number): LoadRequest[] {
  const stride = Math.max(1, Math.floor(count / 10));
  return Array.from({ length: 10 }, (_, k) => requestFor(k * stride + (k % stride)));
}
