// The SNI index on the runtime graph: built from the snapshot's certificates, and the very same
// index (and so the same TLS contexts) while no certificate changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withHarness } from '../runtime/graph-harness.js';
import { mintCert } from '../support/certs.js';

const shop = mintCert({ names: ['shop.example.com'] });
const blog = mintCert({ names: ['blog.example.com'] });

test('graph.certs picks by SNI, is reused while the certificates are unchanged, rebuilt when one changes', () =>
  withHarness(async (h) => {
    let { built, before } = await h.apply(['certs/shop', { cert: shop.cert, key: shop.key }], ['backends/a', { servers: [{ id: 's', url: 'http://127.0.0.1:1' }] }]);
    const g1 = built.graph;
    assert.equal(g1.certs.match('shop.example.com')?.id, 'shop');
    assert.equal(g1.certs.pick('blog.example.com'), undefined);
    const ctx = g1.certs.pick('shop.example.com');
    assert.ok(ctx);

    ({ built, before } = await h.apply(['routes/r', { match: { pathPrefix: '/' }, backend: 'a' }]));
    assert.equal(built.graph.certs, before?.certs, 'no certificate changed: the same index');

    ({ built, before } = await h.apply(['certs/blog', { cert: blog.cert, key: blog.key }]));
    assert.notEqual(built.graph.certs, before?.certs);
    assert.equal(built.graph.certs.match('blog.example.com')?.id, 'blog');
    assert.equal(built.graph.certs.pick('shop.example.com'), ctx, 'the unchanged certificate keeps its TLS context');

    ({ built, before } = await h.apply(['certs/shop']));
    assert.equal(built.graph.certs.pick('shop.example.com'), undefined, 'deleted: no longer served');
    assert.equal(before?.certs.pick('shop.example.com'), ctx, 'the previous graph (handshakes in progress) is untouched');
  }));
