import type { LoadRequest } from './load-types.js';

/**
 * A synthetic configuration of `count` routes, each with its own backend (all pointing at the
 * same upstream). Route i: every tenth has no host and a global prefix `/g<i>/`; the others are
 * `h<i/10>.bench.test` + `/p<i>/` — so 10 routes per host, count/10 hosts, and count/10 host-less
 * prefix routes every request also has to consider.
 */
export function routeSetEntries(prefix: string, count: number, upstreamUrl: string): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  for (let i = 0; i < count; i++) {
    out.push([`${prefix}/backends/b${i}`, { servers: [{ id: 's1', url: upstreamUrl }] }]);
    out.push([`${prefix}/routes/r${i}`, { match: routeMatch(i), backend: `b${i}` }]);
  }
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
