// One holder of what is current: when `config.applied` goes out, everything a listener can read
// — the snapshot, the graph, the status document — is already the new revision.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestJunction } from '../support/junction.js';
import { startUpstream } from '../support/upstream.js';

test('a config.applied listener sees the new revision everywhere', async () => {
  const up = await startUpstream('a');
  const j = await startTestJunction();
  try {
    const seen: Array<{ event: number; snapshot: number | undefined; graph: number | undefined; status: unknown }> = [];
    const off = j.events.on((e) => {
      if (e.type !== 'config.applied') return;
      seen.push({
        event: e.revision,
        snapshot: j.snapshot()?.revision,
        graph: j.switcher.current?.snapshot.revision,
        status: (j.status() as { revision?: unknown }).revision,
      });
    });
    await j.put('backends/b', { servers: [{ id: 's', url: up.url }] });
    const rev = await j.put('routes/r', { match: { pathPrefix: '/' }, backend: 'b' });
    await j.applied(rev);
    off();
    assert.ok(seen.length >= 1);
    for (const s of seen) assert.deepEqual(s, { event: s.event, snapshot: s.event, graph: s.event, status: s.event });
    assert.equal(seen.at(-1)?.event, rev);
  } finally {
    await j.stop();
    await up.close();
  }
});
