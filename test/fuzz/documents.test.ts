import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { request } from 'undici';
import { decodeDocument, type DocumentKind } from '../../src/config/decode/decode-document.js';
import { createValidators } from '../../src/config/decode/validators.js';
import { BackendSpecSchema, ServerSpecSchema } from '../../src/config/schema/backend.js';
import { CertSpecSchema } from '../../src/config/schema/cert.js';
import { AcmeSpecSchema } from '../../src/config/schema/acme.js';
import { FilterSpecSchema } from '../../src/config/schema/filter.js';
import { RouteSpecSchema } from '../../src/config/schema/route.js';
import type { TxnOp } from '../../src/config/store/types.js';
import { startTestJunction, get } from '../support/junction.js';
import { describeLoad, startLoad } from '../support/load.js';
import { startUpstream } from '../support/upstream.js';
import { KINDS, rawDocument } from './arbitraries.js';

// Property-based fuzzing of every etcd document type : 10,000 generated documents through
// the decoder, then a few hundred through a running Junction's store while a valid route serves.
// Reproduce a run with JUNCTION_FUZZ_SEED=<the seed printed in the diagnostics>.

const SEED = Number(process.env.JUNCTION_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const DECODER_RUNS_PER_KIND = 2000; // x 6 kinds = 12,000 documents
const STORE_BATCHES = 25;
const STORE_BATCH = 24; // 600 documents through the store

const TOP_LEVEL: Record<DocumentKind, ReadonlySet<string>> = {
  route: new Set(Object.keys(RouteSpecSchema.properties)),
  backend: new Set(Object.keys(BackendSpecSchema.properties)),
  server: new Set(Object.keys(ServerSpecSchema.properties)),
  filter: new Set(Object.keys(FilterSpecSchema.properties)),
  cert: new Set(Object.keys(CertSpecSchema.properties)),
  acme: new Set(Object.keys(AcmeSpecSchema.properties)),
};

/**
 * A field is named when it is the document itself, or starts with a schema field or a field the
 * document has (an unknown field is named as is, dots and all).
 */
function namesAField(kind: DocumentKind, raw: string, field: string): boolean {
  if (field === '(document)') return true;
  if (field.length === 0) return false;
  const startsWith = (k: string) => field === k || field.startsWith(`${k}.`) || field.startsWith(`${k}[`);
  if ([...TOP_LEVEL[kind]].some(startsWith)) return true;
  try {
    const doc = JSON.parse(raw) as unknown;
    return doc !== null && typeof doc === 'object' && Object.keys(doc).some(startsWith);
  } catch {
    return false;
  }
}

test('the decoder never throws on 10,000 generated documents, and every rejection names a field', (t) => {
  t.diagnostic(`seed ${SEED}`);
  const v = createValidators();
  const started = Date.now();
  for (const [k, kind] of KINDS.entries()) {
    let accepted = 0;
    let rejected = 0;
    let notJson = 0;
    fc.assert(
      fc.property(rawDocument(kind), (raw) => {
        const r = decodeDocument(kind, raw, v); // a throw fails the property
        if (r.ok) {
          accepted++;
          assert.ok(r.value !== null && typeof r.value === 'object' && !Array.isArray(r.value));
          // what was accepted is accepted again after a round trip
          assert.equal(decodeDocument(kind, JSON.stringify(r.value), v).ok, true, 'an accepted document round-trips');
          return;
        }
        rejected++;
        if (!r.json) notJson++;
        assert.ok(r.errors.length > 0, 'a rejection carries at least one error');
        for (const e of r.errors) {
          assert.equal(typeof e.field, 'string');
          assert.ok(e.field.length > 0, `an error without a field: ${JSON.stringify(e)}`);
          assert.ok(typeof e.message === 'string' && e.message.length > 0, `an error without a message: ${JSON.stringify(e)}`);
          assert.ok(namesAField(kind, raw, e.field), `${kind} error names "${e.field}", which is neither a field of the schema nor of ${raw.slice(0, 200)}`);
        }
        if (!r.json) assert.deepEqual(r.errors.map((e) => e.field), ['(document)']);
      }),
      { numRuns: DECODER_RUNS_PER_KIND, seed: SEED + k },
    );
    t.diagnostic(`${kind}: ${DECODER_RUNS_PER_KIND} documents, ${accepted} accepted, ${rejected} rejected (${notJson} not JSON)`);
    assert.ok(accepted > 20 && rejected > 200, `${kind}: the generators reach both sides (${accepted} accepted, ${rejected} rejected)`);
  }
  t.diagnostic(`decoder fuzz took ${Date.now() - started} ms`);
});

const ISSUE_CODES = new Set(['invalid_json', 'invalid_value', 'unknown_key', 'unresolved_reference', 'retained', 'build_failed']);
/** issue codes that are a rejection of something written, and so must name a field */
const REJECTIONS = new Set(['invalid_json', 'invalid_value', 'unresolved_reference']);

interface Item {
  readonly kind: DocumentKind;
  readonly key: string;
  readonly raw: string;
  readonly rejected: boolean;
}

test('a running Junction takes a few hundred generated documents: no crash, the last good route serves, every rejection names key and field', async (t) => {
  t.diagnostic(`seed ${SEED}`);
  const started = Date.now();
  const v = createValidators();
  const up = await startUpstream('live');
  const j = await startTestJunction();
  await j.put('backends/live', { servers: [{ id: 's1', url: up.url }] });
  await j.applied(await j.put('routes/live', { match: { host: 'live.test', pathPrefix: '/' }, priority: 1_000_000, backend: 'live' }));
  assert.equal((await get(`${j.url}/live`, { headers: { host: 'live.test' } })).status, 200);
  const load = startLoad({ url: j.url, path: () => '/live', headers: { host: 'live.test' }, workers: 2, durationMs: 55_000 });
  try {

    const pools = new Map<DocumentKind, string[]>();
    for (const [k, kind] of KINDS.entries()) {
      pools.set(kind, fc.sample(rawDocument(kind), { numRuns: (STORE_BATCHES * STORE_BATCH) / KINDS.length, seed: SEED + 100 + k }));
    }
    const next = (kind: DocumentKind): string => pools.get(kind)?.pop() ?? '{}';
    const liveKey: Partial<Record<DocumentKind, string>> = { route: 'routes/live', backend: 'backends/live', server: 'servers/live/s1' };
    let written = 0;
    let rejectedCount = 0;
    let liveWrites = 0;
    const fuzzKeys = new Set<string>();

    for (let b = 0; b < STORE_BATCHES; b++) {
      const items: Item[] = [];
      for (let i = 0; i < STORE_BATCH; i++) {
        const kind = KINDS[i % KINDS.length] as DocumentKind;
        const slot = Math.floor(i / KINDS.length);
        const raw = next(kind);
        const rejected = !decodeDocument(kind, raw, v).ok;
        const fuzzKey =
          kind === 'route' ? `routes/fz-${slot}` : kind === 'backend' ? `backends/fz-${slot}` : kind === 'server' ? `servers/fz-${slot}/s${b % 3}` : kind === 'cert' ? `certs/fz-${slot}` : kind === 'acme' ? `acme/fz-${slot}` : `filters/fz-${slot}`;
        // now and then a rejected value lands on a key that is serving: its last good version must stay
        const live = liveKey[kind];
        const onLive = rejected && live !== undefined && slot === b % 6 && !items.some((it) => it.key === live);
        const key = onLive && live !== undefined ? live : fuzzKey;
        if (onLive) liveWrites++;
        else fuzzKeys.add(key);
        items.push({ kind, key, raw, rejected });
      }
      written += items.length;
      rejectedCount += items.filter((it) => it.rejected).length;

      let revision: number;
      if (b % 2 === 0) {
        revision = Math.max(...(await Promise.all(items.map((it) => j.put(it.key, it.raw)))));
      } else {
        const ops: TxnOp[] = items.map((it) => ({ op: 'put', key: `/junction/${it.key}`, value: it.raw }));
        const res = await j.store.txn(ops);
        assert.equal(res.succeeded, true);
        revision = res.revision;
      }
      await j.applied(revision);

      const r = await get(`${j.url}/live`, { headers: { host: 'live.test' } });
      assert.equal(r.status, 200, `batch ${b}: the live route still serves (${r.text.slice(0, 200)})`);
      assert.equal(r.json().upstream, 'live');

      const snap = j.snapshot();
      assert.ok(snap !== undefined);
      for (const issue of snap.issues) {
        assert.ok(issue.key.startsWith('/junction/'), `an issue names its key: ${JSON.stringify(issue)}`);
        assert.ok(ISSUE_CODES.has(issue.code), `a known code: ${JSON.stringify(issue)}`);
        if (REJECTIONS.has(issue.code)) {
          assert.ok(typeof issue.field === 'string' && issue.field.length > 0, `a rejection names its field: ${JSON.stringify(issue)}`);
        }
      }
      for (const it of items.filter((x) => x.rejected)) {
        const mine = snap.issues.filter((i) => i.key === `/junction/${it.key}` && (i.code === 'invalid_json' || i.code === 'invalid_value'));
        assert.ok(mine.length > 0, `batch ${b}: the rejected ${it.key} is reported (${it.raw.slice(0, 200)})`);
        for (const i of mine) assert.ok(i.field !== undefined && i.field.length > 0, `field named: ${JSON.stringify(i)}`);
      }

      const status = await request(`${j.adminUrl}/api/v1/status`);
      assert.equal(status.statusCode, 200);
      const doc = (await status.body.json()) as { revision: number; errors: Array<{ key: unknown; field?: unknown; code: unknown }> };
      assert.ok(doc.revision >= revision);
      assert.ok(Array.isArray(doc.errors));
      for (const e of doc.errors) {
        assert.equal(typeof e.key, 'string');
        if (REJECTIONS.has(String(e.code))) assert.equal(typeof e.field, 'string', `status error names a field: ${JSON.stringify(e)}`);
      }
      const health = await request(`${j.adminUrl}/healthz`);
      assert.equal(health.statusCode, 200);
      await health.body.dump();
    }

    // Clean up every fuzz key in one transaction; the live route still serves, no fuzz issue is left.
    const del = await j.store.txn([...fuzzKeys].map((k) => ({ op: 'delete' as const, key: `/junction/${k}` })));
    await j.applied(del.revision);
    assert.equal((await get(`${j.url}/live`, { headers: { host: 'live.test' } })).status, 200);
    assert.deepEqual(
      j.snapshot()?.issues.filter((i) => i.key.includes('/fz-')).map((i) => i.key),
      [],
      'deleting the broken keys clears their issues',
    );

    const result = await load.stop();
    t.diagnostic(`${written} documents through the store (${rejectedCount} rejected, ${liveWrites} of them onto serving keys) in ${Date.now() - started} ms`);
    t.diagnostic(`live route meanwhile: ${describeLoad(result)}`);
    assert.ok(result.requests > 50, `the live route was exercised (${result.requests})`);
    assert.equal(result.failed, 0, `the live route never failed: ${describeLoad(result)}`);
  } finally {
    await load.stop();
    await j.stop();
    await up.close();
  }
});
