import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigState } from '../../src/config/config-state.js';
import { createValidators } from '../../src/config/decode/validators.js';
import type { StoreEvent } from '../../src/config/store/types.js';

const P = '/junction';
const put = (key: string, value: unknown, rev: number): StoreEvent => ({ type: 'put', key: `${P}/${key}`, value: JSON.stringify(value), modRevision: rev, createRevision: rev, version: 1 });

test('instances writing their status keys do not move the configuration revision', () => {
  const state = new ConfigState(P, createValidators());
  state.apply({ kind: 'reset', snapshot: { revision: 1, kvs: [] } });
  const a = state.apply({ kind: 'changes', revision: 2, events: [put('backends/b', { servers: [{ id: 's', url: 'http://127.0.0.1:1' }] }, 2)] });
  assert.equal(a.configChanged, true);
  assert.equal(state.revision, 2);
  // this instance (or another) reports itself: nothing to serve changed
  const s = state.apply({ kind: 'changes', revision: 3, events: [put('status/edge-1', { revision: 2 }, 3)] });
  assert.equal(s.configChanged, false);
  assert.equal(state.revision, 2, 'a snapshot rebuilt now (a filter module reloaded) still says revision 2');
  state.apply({ kind: 'changes', revision: 4, events: [put('status/edge-1', { revision: 2 }, 4), put('routes/r', { backend: 'b' }, 4)] });
  assert.equal(state.revision, 4, 'an update that touches configuration moves it');
});
