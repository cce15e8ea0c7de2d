import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RouteIndex } from '../../src/routing/route-index.js';
import type { RouteCandidate } from '../../src/routing/route-candidate.js';
import type { MatchSpec } from '../../src/config/schema/route.js';
import type { RequestView } from '../../src/routing/request-view.js';
import { seeded } from '../support/balancing.js';

type Cand = RouteCandidate<string>;


const HOSTS = [undefined, 'a.example.com', 'b.example.com', '*.example.com', 'a.example.com:8080', '*.example.com:8080', 'c.test'];
const PATHS: Array<Partial<MatchSpec>> = [{}, { pathPrefix: '/' }, { pathPrefix: '/api/' }, { pathPrefix: '/api/v1/' }, { path: '/healthz' }, { path: '/api/v1/x' }, { pathRegex: '/api/v[0-9]+/.*' }];
const REQUESTS: RequestView[] = [];
for (const host of ['a.example.com', 'b.example.com', 'x.example.com', 'a.example.com:8080', 'x.example.com:8080', 'c.test', 'other.org']) {
  for (const path of ['/', '/api/v1/x', '/api/v2/y', '/healthz', '/static/a.js']) {
    for (const method of ['GET', 'POST']) REQUESTS.push({ method, host, path, headers: { 'x-canary': '1' } }, { method, host, path, headers: {} });
  }
}

function randomMatch(r: () => number): MatchSpec {
  const host = HOSTS[Math.floor(r() * HOSTS.length)];
  const m: MatchSpec = { ...(host === undefined ? {} : { host }), ...PATHS[Math.floor(r() * PATHS.length)] };
  if (r() < 0.15) m.methods = ['GET'];
  if (r() < 0.15) m.headers = { 'x-canary': '1' };
  return m;
}

/** What an index answers: its order and its winner for every request. */
function answers(index: RouteIndex<string>): { order: string[]; wins: Array<string | undefined> } {
  return { order: index.ordered.map((c) => c.id), wins: REQUESTS.map((q) => index.match(q)?.value) };
}

test('a patched index answers exactly as one built from scratch, over random changes', () => {
  for (let seed = 1; seed <= 20; seed++) {
    const r = seeded(seed);
    let routes = new Map<string, Cand>();
    for (let i = 0; i < 40; i++) routes.set(`r${i}`, { id: `r${i}`, match: randomMatch(r), priority: r() < 0.1 ? 1 : 0, value: `r${i}@0` });
    let index = RouteIndex.build([...routes.values()]);
    for (let step = 1; step <= 60; step++) {
      const removed: string[] = [];
      const upserted: Cand[] = [];
      const changes = 1 + Math.floor(r() * 4);
      for (let k = 0; k < changes; k++) {
        const ids = [...routes.keys()];
        const pick = ids[Math.floor(r() * ids.length)];
        const roll = r();
        if (pick !== undefined && roll < 0.25) {
          removed.push(pick);
          routes.delete(pick);
          upserted.splice(0, upserted.length, ...upserted.filter((c) => c.id !== pick)); // update(): an id in both lists is upserted
        } else if (pick !== undefined && roll < 0.55) {
          // value only: same match object, same priority (a backend of the route changed)
          const old = routes.get(pick)!;
          const c = { ...old, value: `${pick}@${step}` };
          routes.set(pick, c);
          upserted.push(c);
        } else {
          const id = roll < 0.8 && pick !== undefined ? pick : `n${seed}-${step}-${k}`;
          const c = { id, match: randomMatch(r), priority: r() < 0.1 ? 1 : 0, value: `${id}@${step}` };
          routes.set(id, c);
          upserted.push(c);
        }
      }
      index = index.update(removed, upserted);
      routes = new Map(routes);
      assert.deepEqual(answers(index), answers(RouteIndex.build([...routes.values()])), `seed ${seed}, step ${step}`);
    }
  }
});

test('an update leaves the previous index as it was (snapshots are immutable)', () => {
  const a: Cand = { id: 'a', match: { host: 'a.example.com', pathPrefix: '/' }, priority: 0, value: 'a1' };
  const before = RouteIndex.build([a]);
  const after = before.update([], [{ ...a, value: 'a2' }, { id: 'b', match: { host: 'a.example.com', path: '/b' }, priority: 0, value: 'b' }]);
  const q: RequestView = { method: 'GET', host: 'a.example.com', path: '/b', headers: {} };
  assert.equal(before.match(q)?.value, 'a1');
  assert.equal(after.match(q)?.value, 'b');
  assert.equal(after.match({ ...q, path: '/x' })?.value, 'a2');
  assert.equal(before.update(['nope'], [a]), before, 'no change: the same index');
});

test('many routes slotted in at one place run out of ranks and fall back to a full build, answering the same', () => {
  const base: Cand[] = [
    { id: 'a', match: { pathPrefix: '/aaaa' }, priority: 0, value: 'a' },
    { id: 'z', match: { pathPrefix: '/z' }, priority: 0, value: 'z' },
  ];
  let index = RouteIndex.build(base);
  const all = [...base];
  // Every new route sorts right after `a` (same path length as each other, ids descending): each halves the gap.
  for (let i = 0; i < 40; i++) {
    const c: Cand = { id: `m${String(99 - i).padStart(2, '0')}`, match: { pathPrefix: `/m${String(i).padStart(2, '0')}` }, priority: 0, value: `m${i}` };
    all.push(c);
    index = index.update([], [c]);
    assert.deepEqual(answers(index), answers(RouteIndex.build(all)), `after ${i + 1} insertions`);
    assert.equal(index.match({ method: 'GET', host: 'x', path: `/m${String(i).padStart(2, '0')}/q`, headers: {} })?.value, `m${i}`);
  }
});

test('removing the last route of a host group drops its bucket; requests fall through to the rest', () => {
  const routes: Cand[] = [
    { id: 'w', match: { host: '*.example.com' }, priority: 0, value: 'w' },
    { id: 'e', match: { host: 'a.example.com' }, priority: 0, value: 'e' },
    { id: 'any', match: {}, priority: 0, value: 'any' },
  ];
  const q = (host: string): RequestView => ({ method: 'GET', host, path: '/', headers: {} });
  let index = RouteIndex.build(routes);
  assert.equal(index.match(q('a.example.com'))?.value, 'e');
  index = index.update(['e'], []);
  assert.equal(index.match(q('a.example.com'))?.value, 'w');
  index = index.update(['w'], []);
  assert.equal(index.match(q('a.example.com'))?.value, 'any');
  index = index.update(['any'], []);
  assert.equal(index.match(q('a.example.com')), undefined);
  assert.equal(index.size, 0);
});
