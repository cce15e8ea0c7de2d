import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSnapshot } from '../../src/config/build-snapshot.js';
import { ConfigState } from '../../src/config/config-state.js';
import { createValidators } from '../../src/config/decode/validators.js';
import { SnapshotMemo } from '../../src/config/snapshot-memo.js';
import type { ConfigSnapshot, RouteConfig } from '../../src/config/snapshot.js';
import type { StoreEvent } from '../../src/config/store/types.js';
import type { FilterCatalog } from '../../src/config/filter-catalog.js';

const P = '/junction';
const filters: FilterCatalog = {
  types: () => new Set(['t']),
  retired: () => false,
  validate: (type) => (type === 't' ? [] : [{ field: 'type', message: `type ${type} is not a loaded filter module` }]),
};

/**
 * Feeds the same revisions to one ConfigState and builds two snapshot series from it, the way the
 * manager does: one with a SnapshotMemo (the incremental path), one deriving everything anew.
 */
function twin() {
  const state = new ConfigState(P, createValidators());
  const memo = new SnapshotMemo();
  const sides = [
    { active: new Map<string, RouteConfig>(), snap: undefined as ConfigSnapshot | undefined, memo },
    { active: new Map<string, RouteConfig>(), snap: undefined as ConfigSnapshot | undefined, memo: undefined },
  ];
  let rev = 0;
  const apply = (...ops: Array<[string, unknown] | [string]>): { incremental: ConfigSnapshot; full: ConfigSnapshot; before: ConfigSnapshot | undefined } => {
    rev++;
    const events: StoreEvent[] = ops.map(([k, v]) =>
      v === undefined
        ? { type: 'delete', key: `${P}/${k}`, modRevision: rev }
        : { type: 'put', key: `${P}/${k}`, value: typeof v === 'string' ? v : JSON.stringify(v), modRevision: rev, createRevision: rev, version: 1 },
    );
    state.apply({ kind: 'changes', revision: rev, events });
    const before = sides[0]!.snap;
    for (const s of sides) {
      s.snap = buildSnapshot(state, s.snap, s.active, { prefix: P, filters, now: () => new Date(0), ...(s.memo ? { memo: s.memo } : {}) });
    }
    const [incremental, full] = sides.map((s) => s.snap!) as [ConfigSnapshot, ConfigSnapshot];
    assert.deepEqual(incremental, full, `revision ${rev}: the incremental snapshot differs from a full build`);
    return { incremental, full, before };
  };
  return { apply };
}

const server = (port: number) => ({ url: `http://127.0.0.1:${port}` });
const backend = (port: number) => ({ servers: [{ id: 's1', url: `http://127.0.0.1:${port}` }] });

test('unchanged routes and backends keep their config objects; changed ones, and only those, are new', () => {
  const t = twin();
  t.apply(
    ['backends/a', backend(1)],
    ['backends/b', backend(2)],
    ['servers/b/k1', server(3)],
    ['routes/ra', { match: { pathPrefix: '/a/' }, backend: 'a' }],
    ['routes/rb', { match: { pathPrefix: '/b/' }, backend: 'b' }],
  );
  let { incremental: s, before } = t.apply(['routes/rc', { match: { pathPrefix: '/c/' }, backend: 'a' }]);
  assert.equal(s.routes.get('ra'), before?.routes.get('ra'), 'an untouched route keeps its RouteConfig');
  assert.equal(s.backends.get('a'), before?.backends.get('a'), 'an untouched backend keeps its BackendConfig');
  assert.equal(s.backends.get('b'), before?.backends.get('b'), 'keyed servers unchanged: same BackendConfig');

  ({ incremental: s, before } = t.apply(['servers/b/k1', { ...server(3), weight: 5 }]));
  assert.notEqual(s.backends.get('b'), before?.backends.get('b'), 'a changed server key gives its backend a new config');
  assert.equal(s.backends.get('b')?.servers.find((x) => x.id === 'k1')?.weight, 5);
  assert.equal(s.backends.get('a'), before?.backends.get('a'));
  assert.equal(s.routes.get('rb'), before?.routes.get('rb'), 'the route keeps its config; the graph resolves the new backend');

  ({ incremental: s, before } = t.apply(['servers/b/k2', server(4)]));
  assert.deepEqual(s.backends.get('b')?.servers.map((x) => x.id), ['k1', 'k2', 's1'], 'a new server key joins its backend');
  ({ incremental: s, before } = t.apply(['servers/b/k1']));
  assert.deepEqual(s.backends.get('b')?.servers.map((x) => x.id), ['k2', 's1'], 'a deleted server key leaves its backend');

  ({ incremental: s, before } = t.apply(['routes/ra', { match: { pathPrefix: '/a2/' }, backend: 'a' }]));
  assert.notEqual(s.routes.get('ra'), before?.routes.get('ra'));
  assert.equal(s.routes.get('ra')?.spec.match?.pathPrefix, '/a2/');
  assert.ok(Object.isFrozen(s.routes.get('ra')) && Object.isFrozen(s.backends.get('b')));
});

test('retention, fallbacks, invalid values and filters come out as a full build gives them', () => {
  const t = twin();
  t.apply(
    ['backends/a', backend(1)],
    ['filters/f', { type: 't', config: {} }],
    ['routes/r', { match: { pathPrefix: '/' }, backend: 'a', filters: ['f'] }],
    ['routes/r2', { backend: 'a' }],
  );
  let { incremental: s, before } = t.apply(['backends/a']);
  assert.equal(s.backends.get('a'), before?.backends.get('a'), 'a deleted backend still referenced is retained as it was');
  assert.ok(s.issues.some((i) => i.code === 'retained'));
  ({ incremental: s } = t.apply(['backends/a', backend(7)]));
  assert.equal(s.backends.get('a')?.servers[0]?.url, 'http://127.0.0.1:7', 're-created: the new document serves');
  ({ incremental: s, before } = t.apply(['routes/r', { backend: 'missing' }]));
  assert.equal(s.routes.get('r'), before?.routes.get('r'), 'an unresolvable change keeps the last active version');
  t.apply(['routes/r', '{bad json'], ['backends/a', { servers: [{ id: 's1', url: 'ftp://x' }] }]);
  t.apply(['filters/f', { type: 'gone', config: {} }]);
  t.apply(['filters/f'], ['routes/r2'], ['backends/z', backend(9)]);
  t.apply(['routes/r']);
  ({ incremental: s } = t.apply(['routes/r', { backend: 'z' }], ['backends/a']));
  assert.deepEqual([...s.backends.keys()].sort(), ['z']);
});

test('a random sequence of puts and deletes gives the same snapshots incrementally as built anew', () => {
  let seed = 7;
  const r = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const t = twin();
  const pick = (n: number) => Math.floor(r() * n);
  for (let i = 0; i < 300; i++) {
    const ops: Array<[string, unknown] | [string]> = [];
    for (let k = 0; k <= pick(3); k++) {
      const roll = r();
      const b = `b${pick(4)}`;
      if (roll < 0.3) ops.push([`routes/r${pick(8)}`, { match: { pathPrefix: `/p${pick(3)}/` }, backend: b, ...(r() < 0.2 ? { filters: ['f'] } : {}) }]);
      else if (roll < 0.45) ops.push([`backends/${b}`, r() < 0.1 ? { servers: 'bad' } : backend(pick(3) + 1)]);
      else if (roll < 0.65) ops.push([`servers/${b}/k${pick(3)}`, { ...server(pick(3) + 1), ...(r() < 0.3 ? { state: 'draining' } : {}) }]);
      else if (roll < 0.7) ops.push(['filters/f', { type: r() < 0.8 ? 't' : 'other' }]);
      else if (roll < 0.8) ops.push([`routes/r${pick(8)}`]);
      else if (roll < 0.9) ops.push([`backends/${b}`]);
      else ops.push([`servers/${b}/k${pick(3)}`]);
    }
    const seen = new Set<string>();
    t.apply(...ops.filter(([k]) => !seen.has(k) && seen.add(k) !== undefined));
  }
});
