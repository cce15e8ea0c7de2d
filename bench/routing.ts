/**
 * Routing bench: build time and lookup cost of RouteIndex at 10 and 10,000 routes, plus
 * normalizePath. Run: `npx tsc -p . && node dist/bench/routing.js` (from the repo root).
 * Prints a table and writes bench/results/routing.json.
 * Goals: lookup at 10,000 routes within 1.2x of 10 routes; building 10,000 routes < 1 s.
 * The regex rows compare with a build before RE2 (BENCH_JUNCTION_BIN's tree, run the same file).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, relative } from 'node:path';
import { RouteIndex } from '../src/routing/route-index.js';
import { normalizePath } from '../src/routing/normalize-path.js';
import type { RouteCandidate } from '../src/routing/route-candidate.js';
import type { RequestView } from '../src/routing/request-view.js';
import type { MatchSpec } from '../src/config/schema/route.js';

const ROUNDS = 15;
const LOOKUPS_PER_ROUND = 400_000;
const REQUEST_MIX = 1024; // a power of two: the loop indexes with a mask

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const pick = <X>(r: () => number, xs: readonly X[]): X => xs[Math.floor(r() * xs.length)]!;

interface Site { readonly spec: string; readonly sample: string }

/** Per host: the routes of a typical service; every fourth host is a bigger one. */
function hostRoutes(host: string, h: number): MatchSpec[] {
  const out: MatchSpec[] = [{ host, pathPrefix: '/api/v1/' }, { host, path: '/healthz' }, { host, pathPrefix: '/' }];
  if (h % 4 === 0) {
    out.push(
      { host, pathPrefix: '/api/v2/' },
      { host, path: '/api/v1/users/me' },
      { host, pathPrefix: '/static/', methods: ['GET', 'HEAD'] },
      { host, pathPrefix: '/api/v1/', headers: { 'x-canary': '1' } },
    );
  }
  if (h % 20 === 0) out.push({ host, pathRegex: '/api/v[0-9]+/items/[0-9]+' });
  return out;
}

/**
 * `count` routes: two any-host routes (an ACME prefix at priority 1, an assets regex), then hosts
 * — one in seven a wildcard — each with the routes of `hostRoutes`.
 */
function makeRoutes(count: number): { routes: RouteCandidate<number>[]; sites: Site[] } {
  const matches: MatchSpec[] = [{ pathPrefix: '/.well-known/' }, { pathRegex: '/assets/.*\\.(js|css)' }];
  const priorities: number[] = [1, 0];
  const sites: Site[] = [];
  for (let h = 0; matches.length < count; h++) {
    const site: Site = h % 7 === 1
      ? { spec: `*.tenant${h}.example.net`, sample: `app.tenant${h}.example.net` }
      : { spec: `svc${h}.example.com`, sample: `svc${h}.example.com` };
    sites.push(site);
    for (const m of hostRoutes(site.spec, h)) {
      matches.push(m);
      priorities.push(h % 50 === 49 ? 1 : 0);
    }
  }
  const routes = matches.slice(0, count).map((match, i) => ({ id: `route-${i}`, match, priority: priorities[i]!, value: i }));
  return { routes, sites };
}

const PATHS = [
  '/api/v1/users/42', '/api/v1/users/me', '/healthz', '/static/app.js', '/api/v2/orders/17',
  '/api/v3/items/7', '/other/page', '/.well-known/acme-challenge/x', '/assets/app.css', '/',
];

function makeRequests(sites: readonly Site[], seed: number): RequestView[] {
  const r = rng(seed);
  const out: RequestView[] = [];
  for (let i = 0; i < REQUEST_MIX; i++) {
    const k = r();
    let host = k < 0.1 ? `unknown${i}.example.org` : pick(r, sites).sample;
    if (r() < 0.2) host += ':8080';
    if (r() < 0.1) host = host.toUpperCase();
    const headers = r() < 0.1 ? { 'x-canary': '1' } : {};
    out.push({ method: r() < 0.8 ? 'GET' : 'POST', host, path: pick(r, PATHS), headers });
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function timeBuild(routes: RouteCandidate<number>[]): { ms: number; index: RouteIndex<number> } {
  let index = RouteIndex.build(routes);
  const samples: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = process.hrtime.bigint();
    index = RouteIndex.build(routes);
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return { ms: median(samples), index };
}

/** One timed round: ns per `match` over the request mix. */
function matchRound(index: RouteIndex<number>, requests: readonly RequestView[], ops = LOOKUPS_PER_ROUND): number {
  let sink = 0;
  const mask = requests.length - 1;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < ops; i++) sink += index.match(requests[i & mask]!)?.value ?? 0;
  const ns = Number(process.hrtime.bigint() - t0) / ops;
  return sink === -1 ? 0 : ns;
}

function normalizeRound(paths: readonly string[]): number {
  let sink = 0;
  const n = paths.length;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < LOOKUPS_PER_ROUND; i++) sink += normalizePath(paths[i % n]!)?.length ?? 0;
  const ns = Number(process.hrtime.bigint() - t0) / LOOKUPS_PER_ROUND;
  return sink === -1 ? 0 : ns;
}

/**
 * Runs the cases' rounds interleaved (A B C A B C ...) after a warm-up, so load from other
 * processes hits every case alike; returns each case's samples.
 */
function interleaved(cases: readonly (() => number)[]): number[][] {
  for (let w = 0; w < 3; w++) for (const c of cases) c();
  const samples: number[][] = cases.map(() => []);
  for (let k = 0; k < ROUNDS; k++) cases.forEach((c, i) => samples[i]!.push(c()));
  return samples;
}

interface Row { name: string; routes: number; buildMs: number | null; nsPerOp: number; minNs: number; maxNs: number; hitRate: number }

const rows: Row[] = [];
const lookupCases: { name: string; routes: number; buildMs: number; index: RouteIndex<number>; requests: RequestView[] }[] = [];
for (const count of [10, 10_000]) {
  const { routes, sites } = makeRoutes(count);
  const { ms, index } = timeBuild(routes);
  lookupCases.push({ name: `match, ${count} routes`, routes: count, buildMs: ms, index, requests: makeRequests(sites, 42) });
  if (count > 10) {
    lookupCases.push({ name: `match, ${count} routes, 32 hot hosts`, routes: count, buildMs: ms, index, requests: makeRequests(sites.slice(0, 32), 42) });
  }
}
const lookupSamples = interleaved(lookupCases.map((c) => () => matchRound(c.index, c.requests)));
lookupCases.forEach((c, i) => {
  const xs = lookupSamples[i]!;
  const hits = c.requests.filter((q) => c.index.match(q) !== undefined).length;
  rows.push({ name: c.name, routes: c.routes, buildMs: c.buildMs, nsPerOp: median(xs), minNs: Math.min(...xs), maxNs: Math.max(...xs), hitRate: hits / c.requests.length });
});

// Regex routes (RE2 since pathRegex is matched in linear time): 1,000 on one host with distinct
// literal prefixes (the prefix check leaves one pattern to test), and 100 sharing one prefix (every
// one tested until the match).
function regexCase(count: number, pattern: (i: number) => string, path: (i: number, r: () => number) => string): { routes: RouteCandidate<number>[]; requests: RequestView[] } {
  const routes = Array.from({ length: count }, (_, i) => ({ id: `re-${i}`, match: { host: 're.example.com', pathRegex: pattern(i) }, priority: 0, value: i }));
  const r = rng(7);
  const requests = Array.from({ length: REQUEST_MIX }, (_, i) => ({ method: 'GET', host: 're.example.com', path: path(i, r), headers: {} }));
  return { routes, requests };
}
const regexCases = [
  { name: 'match, 1,000 regex routes', ...regexCase(1000, (i) => `/svc${i}/v[0-9]+/items/[0-9]+`, (_i, r) => `/svc${Math.floor(r() * 1000)}/v2/items/${Math.floor(r() * 1e5)}`) },
  { name: 'match, 100 regexes, one prefix', ...regexCase(100, (i) => `/api/(svc${i}|x${i})/[0-9]+`, (_i, r) => `/api/svc${Math.floor(r() * 100)}/${Math.floor(r() * 1e5)}`) },
];
const regexIndexes = regexCases.map((c) => ({ ...c, ...timeBuild(c.routes) }));
const regexSamples = interleaved(regexIndexes.map((c) => () => matchRound(c.index, c.requests, 20_000)));
regexIndexes.forEach((c, i) => {
  const xs = regexSamples[i]!;
  const hits = c.requests.filter((q) => c.index.match(q) !== undefined).length;
  rows.push({ name: c.name, routes: c.routes.length, buildMs: c.ms, nsPerOp: median(xs), minNs: Math.min(...xs), maxNs: Math.max(...xs), hitRate: hits / c.requests.length });
});

const cleanPaths = [...PATHS];
const dirtyPaths = ['/api/%2e%2e/v1/users/%7Eme', '/a/./b/../c%2fd', '/static/%61pp.js', '/x/%c3%a9/.'];
const pathCases = [['normalizePath, clean', cleanPaths], ['normalizePath, escapes/dots', dirtyPaths]] as const;
const pathSamples = interleaved(pathCases.map(([, paths]) => () => normalizeRound(paths)));
pathCases.forEach(([name, paths], i) => {
  const xs = pathSamples[i]!;
  const ok = paths.filter((p) => normalizePath(p) !== undefined).length;
  rows.push({ name, routes: 0, buildMs: null, nsPerOp: median(xs), minNs: Math.min(...xs), maxNs: Math.max(...xs), hitRate: ok / paths.length });
});

const small = rows[0]!;
const large = rows[1]!;
const hot = rows[2]!;
const ratio = large.nsPerOp / small.nsPerOp;
const goals = {
  lookupRatio10kVs10: { value: Number(ratio.toFixed(3)), target: 1.2, met: ratio <= 1.2 },
  lookupRatio10kHotVs10: { value: Number((hot.nsPerOp / small.nsPerOp).toFixed(3)), target: 1.2, met: hot.nsPerOp / small.nsPerOp <= 1.2 },
  build10kMs: { value: Number(large.buildMs!.toFixed(2)), target: 1000, met: large.buildMs! < 1000 },
};

const pad = (s: string, n: number) => s.padEnd(n);
const num = (x: number | null, d = 1) => (x === null ? '-' : x.toFixed(d));
console.log(`routing bench — node ${process.version}, ${ROUNDS} rounds x ${LOOKUPS_PER_ROUND} ops, median`);
console.log(`${pad('case', 36)} ${pad('routes', 7)} ${pad('build ms', 9)} ${pad('ns/op', 7)} ${pad('min', 7)} ${pad('max', 7)} hit`);
for (const r of rows) {
  console.log(`${pad(r.name, 36)} ${pad(String(r.routes || '-'), 7)} ${pad(num(r.buildMs, 2), 9)} ${pad(num(r.nsPerOp), 7)} ${pad(num(r.minNs), 7)} ${pad(num(r.maxNs), 7)} ${(r.hitRate * 100).toFixed(0)}%`);
}
console.log(`goal lookup 10k/10 <= 1.2x: ${ratio.toFixed(2)}x ${goals.lookupRatio10kVs10.met ? 'met' : 'NOT met'}`);
console.log(`     (32 hot hosts: ${(hot.nsPerOp / small.nsPerOp).toFixed(2)}x ${goals.lookupRatio10kHotVs10.met ? 'met' : 'NOT met'})`);
console.log(`goal build 10k < 1000 ms: ${num(large.buildMs, 2)} ms ${goals.build10kMs.met ? 'met' : 'NOT met'}`);

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const outDir = join(root, 'bench', 'results');
mkdirSync(outDir, { recursive: true });
const outFile = join(outDir, 'routing.json');
writeFileSync(outFile, JSON.stringify({ bench: 'routing', node: process.version, date: new Date().toISOString(), rounds: ROUNDS, opsPerRound: LOOKUPS_PER_ROUND, rows, goals }, null, 2) + '\n');
console.log(`wrote ${relative(process.cwd(), outFile) || outFile}`);
