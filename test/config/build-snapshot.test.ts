import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSnapshot } from '../../src/config/build-snapshot.js';
import { ConfigState } from '../../src/config/config-state.js';
import { createValidators } from '../../src/config/decode/validators.js';
import type { ConfigSnapshot, RouteConfig } from '../../src/config/snapshot.js';
import type { StoreEvent } from '../../src/config/store/types.js';
import type { FilterCatalog } from '../../src/config/filter-catalog.js';

const P = '/junction';

/** A filter catalog of the given types; type `strict` also demands `config.n` be a number. */
function catalog(types: string[]): FilterCatalog {
  return {
    types: () => new Set(types),
    retired: () => false,
    validate: (type, config) =>
      !types.includes(type)
        ? [{ field: 'type', message: `type ${type} is not a loaded filter module` }]
        : type === 'strict' && typeof (config as { n?: unknown } | undefined)?.n !== 'number'
          ? [{ field: 'config.n', message: 'must be number' }]
          : [],
  };
}

/** A little driver: feeds revisions into ConfigState and builds snapshots like the manager does. */
function harness(filterTypes: string[] = []) {
  const state = new ConfigState(P, createValidators());
  const active = new Map<string, RouteConfig>();
  let rev = 0;
  let snap: ConfigSnapshot | undefined;
  const apply = (...ops: Array<[string, unknown] | [string]>) => {
    rev++;
    const events: StoreEvent[] = ops.map(([k, v]) =>
      v === undefined
        ? { type: 'delete', key: `${P}/${k}`, modRevision: rev }
        : { type: 'put', key: `${P}/${k}`, value: typeof v === 'string' ? v : JSON.stringify(v), modRevision: rev, createRevision: rev, version: 1 },
    );
    const { rejected } = state.apply({ kind: 'changes', revision: rev, events });
    snap = buildSnapshot(state, snap, active, { prefix: P, filters: catalog(filterTypes), now: () => new Date(0) });
    return { snap, rejected };
  };
  return { apply, get snap() { return snap as ConfigSnapshot; } };
}

const backend = { servers: [{ id: 's1', url: 'http://127.0.0.1:1' }] };

test('a route with a resolvable backend is active; the snapshot is frozen', () => {
  const h = harness();
  const { snap } = h.apply(['backends/b', backend], ['routes/r', { backend: 'b' }]);
  assert.equal(snap.revision, 1);
  assert.equal(snap.routes.get('r')?.spec.backend, 'b');
  assert.deepEqual(snap.issues, []);
  assert.ok(Object.isFrozen(snap));
  assert.ok(Object.isFrozen(snap.routes.get('r')?.spec));
  assert.throws(() => (snap.routes as Map<string, RouteConfig>).set('x', snap.routes.get('r') as RouteConfig), TypeError);
});

test('an invalid new value keeps the last valid version serving, with an issue naming key and field', () => {
  const h = harness();
  h.apply(['backends/b', backend], ['routes/r', { match: { pathPrefix: '/a/' }, backend: 'b' }]);
  const { snap, rejected } = h.apply(['routes/r', { match: { pathPrefix: 'no-slash' }, backend: 'b' }]);
  assert.equal(snap.routes.get('r')?.spec.match?.pathPrefix, '/a/');
  assert.equal(snap.routes.get('r')?.modRevision, 1);
  assert.equal(rejected.length, 1);
  assert.deepEqual(
    snap.issues.map((i) => [i.key, i.field, i.code]),
    [['/junction/routes/r', 'match.pathPrefix', 'invalid_value']],
  );
  const fixed = h.apply(['routes/r', { match: { pathPrefix: '/b/' }, backend: 'b' }]).snap;
  assert.equal(fixed.routes.get('r')?.spec.match?.pathPrefix, '/b/');
  assert.deepEqual(fixed.issues, []);
});

test('non-JSON is an invalid_json issue; a key that never was valid stays inactive', () => {
  const h = harness();
  const { snap } = h.apply(['backends/b', backend], ['routes/r', '{not json']);
  assert.equal(snap.routes.size, 0);
  assert.deepEqual(snap.issues.map((i) => [i.key, i.code]), [['/junction/routes/r', 'invalid_json']]);
});

test('a route naming a missing backend stays inactive, or keeps its last resolvable version', () => {
  const h = harness();
  let snap = h.apply(['routes/r', { backend: 'nope' }]).snap;
  assert.equal(snap.routes.size, 0);
  assert.equal(snap.issues[0]?.code, 'unresolved_reference');
  assert.match(snap.issues[0]?.message ?? '', /backend nope/);

  snap = h.apply(['backends/b', backend], ['routes/r', { backend: 'b' }]).snap;
  assert.equal(snap.routes.get('r')?.spec.backend, 'b');
  snap = h.apply(['routes/r', { backend: 'missing' }]).snap;
  assert.equal(snap.routes.get('r')?.spec.backend, 'b', 'last resolvable version keeps serving');
  assert.match(snap.issues.find((i) => i.key === '/junction/routes/r')?.message ?? '', /revision 2 of this route keeps serving/);
});

test('deleting a backend an active route uses retains it until nothing refers to it', () => {
  const h = harness();
  h.apply(['backends/b', backend], ['routes/r', { backend: 'b' }]);
  let snap = h.apply(['backends/b']).snap;
  assert.ok(snap.routes.has('r'), 'the route keeps serving');
  assert.ok(snap.backends.has('b'), 'its backend is retained');
  assert.deepEqual(snap.issues.map((i) => [i.key, i.code]), [['/junction/backends/b', 'retained']]);
  snap = h.apply(['routes/r']).snap;
  assert.equal(snap.routes.size, 0);
  assert.equal(snap.backends.size, 0, 'retention ends with the last reference');
  assert.deepEqual(snap.issues, []);
});

test('server keys merge with inline servers; a key overrides an inline server of the same id', () => {
  const h = harness();
  const { snap } = h.apply(
    ['backends/b', { servers: [{ id: 's1', url: 'http://127.0.0.1:1' }, { id: 's2', url: 'http://127.0.0.1:2' }] }],
    ['servers/b/s2', { url: 'http://127.0.0.1:2', state: 'draining' }],
    ['servers/b/s3', { url: 'http://127.0.0.1:3/', weight: 3 }],
    ['servers/other/x', { url: 'http://127.0.0.1:9' }],
  );
  const servers = snap.backends.get('b')?.servers.map((s) => [s.id, s.url, s.weight, s.state]);
  assert.deepEqual(servers, [
    ['s1', 'http://127.0.0.1:1', 1, 'active'],
    ['s2', 'http://127.0.0.1:2', 1, 'draining'],
    ['s3', 'http://127.0.0.1:3', 3, 'active'],
  ]);
  assert.equal(snap.backends.has('other'), false);
});

test('unknown keys and filter types are reported, never applied', () => {
  const h = harness(['headers']);
  const { snap } = h.apply(
    ['route/typo', { backend: 'b' }],
    ['routes/Bad_ID', { backend: 'b' }],
    ['filters/f1', { type: 'headers' }],
    ['filters/f2', { type: 'nope' }],
    ['status/some-instance', { instance: 'x' }],
  );
  assert.deepEqual(
    snap.issues.map((i) => [i.key, i.code, i.field]),
    [
      ['/junction/filters/f2', 'invalid_value', 'type'],
      ['/junction/route/typo', 'unknown_key', undefined],
      ['/junction/routes/Bad_ID', 'unknown_key', undefined],
    ],
  );
  assert.deepEqual([...snap.filters.keys()], ['f1']);
});

test('a filter config its module rejects keeps the last accepted version, with an issue on config.*', () => {
  const h = harness(['strict']);
  let snap = h.apply(['backends/b', backend], ['filters/f', { type: 'strict', config: { n: 1 } }], ['routes/r', { backend: 'b', filters: ['f'] }]).snap;
  assert.deepEqual(snap.filters.get('f')?.spec.config, { n: 1 });
  assert.ok(snap.routes.has('r'));
  snap = h.apply(['filters/f', { type: 'strict', config: { n: 'two' } }]).snap;
  assert.deepEqual(snap.filters.get('f')?.spec.config, { n: 1 }, 'the accepted version keeps serving');
  assert.ok(snap.routes.has('r'));
  assert.deepEqual(snap.issues.map((i) => [i.key, i.field, i.code]), [['/junction/filters/f', 'config.n', 'invalid_value']]);
  assert.match(snap.issues[0]?.message ?? '', /revision 1 keeps serving/);
});

test('a reset replaces the state but keeps last valid versions of keys still present', () => {
  const state = new ConfigState(P, createValidators());
  const active = new Map<string, RouteConfig>();
  const kv = (key: string, value: unknown, rev: number) => ({ key: `${P}/${key}`, value: JSON.stringify(value), modRevision: rev, createRevision: rev, version: 1 });
  state.apply({ kind: 'reset', snapshot: { revision: 2, kvs: [kv('backends/b', backend, 1), kv('routes/r', { backend: 'b' }, 2), kv('routes/gone', { backend: 'b' }, 2)] } });
  state.apply({ kind: 'reset', snapshot: { revision: 9, kvs: [kv('backends/b', backend, 1), kv('routes/r', { backend: 7 }, 9)] } });
  const snap = buildSnapshot(state, undefined, active, { prefix: P, filters: catalog([]), now: () => new Date(0) });
  assert.equal(snap.revision, 9);
  assert.deepEqual([...snap.routes.keys()], ['r']);
  assert.equal(snap.routes.get('r')?.modRevision, 2);
  assert.equal(snap.issues[0]?.field, 'backend');
});
