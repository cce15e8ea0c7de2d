import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { RouteIndex } from '../../src/routing/route-index.js';
import type { RouteCandidate } from '../../src/routing/route-candidate.js';
import type { RouteMatch } from '../../src/routing/route-match.js';
import type { RequestView } from '../../src/routing/request-view.js';
import type { MatchSpec } from '../../src/config/schema/route.js';
import { seeded } from '../support/balancing.js';

const pick = <X>(r: () => number, xs: readonly X[]): X => xs[Math.floor(r() * xs.length)]!;

const LABELS = ['a', 'b', 'api', 'www', 'shop', 'eu', 'x1'];
const DOMAINS = ['example.com', 'example.org', 'corp.net'];
const SEGMENTS = ['api', 'v1', 'v2', 'users', 'u', '42', 'static', 'x', ''];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'HEAD'];
const REGEXES = ['/api/v[0-9]+/.*', '/users/[0-9]+', '/.*\\.css', '/(a|b)/.*', '/static/.*', '/[a-z]+', '/v1.*'];
const PORTS = ['8080', '8443'];

function randomHostSpec(r: () => number): string | undefined {
  const k = r();
  const domain = pick(r, DOMAINS);
  let host: string;
  if (k < 0.25) return undefined;
  if (k < 0.55) host = `${pick(r, LABELS)}.${domain}`;
  else if (k < 0.65) host = `${pick(r, LABELS)}.${pick(r, LABELS)}.${domain}`;
  else if (k < 0.8) host = `*.${domain}`;
  else if (k < 0.88) host = `*.${pick(r, LABELS)}.${domain}`;
  else if (k < 0.92) host = domain;
  else host = `*.${domain.split('.').at(-1)!}`;
  if (r() < 0.1) host += `:${pick(r, PORTS)}`;
  return r() < 0.2 ? host.toUpperCase() : host;
}

function randomPath(r: () => number, maxSegments: number): string {
  const n = 1 + Math.floor(r() * maxSegments);
  let p = '';
  for (let i = 0; i < n; i++) p += '/' + pick(r, SEGMENTS);
  return p;
}

function randomMatch(r: () => number): MatchSpec {
  const match: { -readonly [K in keyof MatchSpec]: MatchSpec[K] } = {};
  const host = randomHostSpec(r);
  if (host !== undefined) match.host = host;
  const k = r();
  if (k < 0.45) {
    const p = randomPath(r, 3);
    match.pathPrefix = r() < 0.3 ? p + '/' : r() < 0.2 ? p.slice(0, Math.max(1, p.length - 1)) : p;
  } else if (k < 0.7) match.path = randomPath(r, 3);
  else if (k < 0.8) match.pathRegex = pick(r, REGEXES);
  if (r() < 0.2) {
    const ms = METHODS.filter(() => r() < 0.4);
    if (ms.length > 0) match.methods = ms;
  }
  if (r() < 0.15) {
    match.headers = { [r() < 0.5 ? 'x-tenant' : 'X-Tenant']: pick(r, ['acme', 'globex']) };
    if (r() < 0.3) match.headers['x-env'] = 'prod';
  }
  return match;
}

function randomRoutes(r: () => number, count: number): RouteCandidate<number>[] {
  const routes: RouteCandidate<number>[] = [];
  for (let i = 0; i < count; i++) {
    routes.push({ id: `r${Math.floor(r() * 1e9).toString(36)}-${i}`, match: randomMatch(r), priority: pick(r, [-1, 0, 0, 0, 0, 1, 2]), value: i });
  }
  return routes;
}

function randomRequest(r: () => number): RequestView {
  let host: string | undefined;
  const k = r();
  if (k < 0.05) host = undefined;
  else if (k < 0.6) host = `${pick(r, LABELS)}.${pick(r, DOMAINS)}`;
  else if (k < 0.85) host = `${pick(r, LABELS)}.${pick(r, LABELS)}.${pick(r, DOMAINS)}`;
  else host = pick(r, DOMAINS);
  if (host !== undefined && r() < 0.2) host += `:${pick(r, [...PORTS, '80'])}`;
  if (host !== undefined && r() < 0.2) host = host.toUpperCase();
  const headers: IncomingHttpHeaders = {};
  if (r() < 0.3) headers['x-tenant'] = pick(r, ['acme', 'globex', 'initech']);
  if (r() < 0.2) headers['x-env'] = pick(r, ['prod', 'dev']);
  let path = randomPath(r, 4);
  if (r() < 0.1) path += '.css';
  return { method: pick(r, METHODS), host, path, headers };
}

// ---- the naive reference: scan every route, sort the matches by the documented precedence ----
function refHostMatches(spec: string | undefined, raw: string | undefined): boolean {
  if (spec === undefined) return true;
  if (raw === undefined || raw === '') return false;
  const [reqName = '', reqPort] = raw.toLowerCase().split(':') as [string?, string?];
  const name = reqName.endsWith('.') ? reqName.slice(0, -1) : reqName;
  const [specName = '', specPort] = spec.toLowerCase().split(':') as [string?, string?];
  if (specPort !== undefined && specPort !== reqPort) return false;
  if (specName.startsWith('*.')) {
    const suffix = specName.slice(1);
    return name.length > suffix.length && name.endsWith(suffix);
  }
  return name === specName;
}

const refRegexes = new Map<string, RegExp>();
function refRegex(source: string): RegExp {
  let re = refRegexes.get(source);
  if (re === undefined) refRegexes.set(source, (re = new RegExp(`^(?:${source})$`)));
  return re;
}

function refMatches(m: RouteMatch, req: RequestView): boolean {
  if (!refHostMatches(m.host, req.host)) return false;
  if (m.path !== undefined && req.path !== m.path) return false;
  if (m.pathPrefix !== undefined && !req.path.startsWith(m.pathPrefix)) return false;
  if (m.pathRegex !== undefined && !refRegex(m.pathRegex).test(req.path)) return false;
  if (m.methods !== undefined && !m.methods.includes(req.method)) return false;
  for (const [name, value] of Object.entries(m.headers ?? {})) {
    const actual = req.headers[name.toLowerCase()];
    const joined = Array.isArray(actual) ? actual.join(', ') : actual;
    if (joined !== value) return false;
  }
  return true;
}

function refSortKey(c: RouteCandidate<unknown>): (number | string)[] {
  const m = c.match;
  const host = m.host ?? '';
  const pathSpec = m.path ?? m.pathPrefix ?? m.pathRegex ?? '';
  const kind = m.path !== undefined ? 3 : m.pathPrefix !== undefined ? 2 : m.pathRegex !== undefined ? 1 : 0;
  return [
    -c.priority,
    -host.length,
    host.startsWith('*.') ? 1 : 0,
    -pathSpec.length,
    -kind,
    -Object.keys(m.headers ?? {}).length,
    m.methods === undefined ? Number.MAX_SAFE_INTEGER : m.methods.length,
    c.id,
  ];
}

const refKeys = new WeakMap<RouteCandidate<unknown>, (number | string)[]>();
function refKey(c: RouteCandidate<unknown>): (number | string)[] {
  let key = refKeys.get(c);
  if (key === undefined) refKeys.set(c, (key = refSortKey(c)));
  return key;
}

function refCompare(a: RouteCandidate<unknown>, b: RouteCandidate<unknown>): number {
  const ka = refKey(a);
  const kb = refKey(b);
  for (let i = 0; i < ka.length; i++) {
    if (ka[i] !== kb[i]) return ka[i]! < kb[i]! ? -1 : 1;
  }
  return 0;
}

function refMatch<T>(routes: readonly RouteCandidate<T>[], req: RequestView): RouteCandidate<T> | undefined {
  let best: RouteCandidate<T> | undefined;
  for (const c of routes) if (refMatches(c.match, req) && (best === undefined || refCompare(c, best) < 0)) best = c;
  return best;
}

function shuffled<X>(r: () => number, xs: readonly X[]): X[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

test('thousands of routes: the index answers like a naive scan over random requests', () => {
  const r = seeded(20240601);
  const routes = randomRoutes(r, 3000);
  const index = RouteIndex.build(routes);
  assert.equal(index.size, 3000);
  let matched = 0;
  const winners = new Set<string>();
  for (let i = 0; i < 4000; i++) {
    const req = randomRequest(r);
    const want = refMatch(routes, req)?.id;
    const got = index.match(req)?.id;
    assert.equal(got, want, `request ${JSON.stringify(req)}`);
    if (got !== undefined) {
      matched++;
      winners.add(got);
    }
  }
  // the generator must exercise the index, not only answer "no route"
  assert.ok(matched > 2000, `only ${matched} requests matched`);
  assert.ok(winners.size > 150, `only ${winners.size} distinct winners`);
});

test('small dense route sets (many ties) agree with the naive scan across many seeds', () => {
  for (let seed = 1; seed <= 200; seed++) {
    const r = seeded(seed);
    const routes = randomRoutes(r, 5 + Math.floor(r() * 40));
    const index = RouteIndex.build(routes);
    for (let i = 0; i < 200; i++) {
      const req = randomRequest(r);
      assert.equal(index.match(req)?.id, refMatch(routes, req)?.id, `seed ${seed} request ${JSON.stringify(req)}`);
    }
  }
});

test('the answer does not depend on the order routes are given in', () => {
  const r = seeded(7);
  const routes = randomRoutes(r, 1500);
  const requests = Array.from({ length: 2000 }, () => randomRequest(r));
  const first = RouteIndex.build(routes);
  const answers = requests.map((q) => first.match(q)?.id);
  for (let round = 0; round < 3; round++) {
    const other = RouteIndex.build(shuffled(r, routes));
    requests.forEach((q, i) => assert.equal(other.match(q)?.id, answers[i]));
  }
});
