/**
 * PUT validates before anything is written: 400 `invalid_document` listing every error, each
 * naming its field — schema errors, rule errors, JSON syntax errors, and references to backends
 * and filters that do not exist (checked against the store).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestJunction, type TestJunction } from '../support/junction.js';
import { api } from './api-support.js';

let j: TestJunction;

before(async () => {
  j = await startTestJunction();
  await j.put('backends/real', { servers: [{ id: 'a', url: 'http://127.0.0.1:9' }] });
});
after(async () => {
  await j?.stop();
});

const fields = (body: { errors: Array<{ field: string }> }) => body.errors.map((e) => e.field);

test('every error of a document is listed, each on its field, and nothing is written', async () => {
  const r = await api(j.adminUrl, 'PUT', '/api/v1/routes/bad', {
    match: { pathPrefix: 'no-slash', methods: [] },
    priority: 'high',
    split: [
      { backend: 'real', weight: 1 },
      { backend: 'ghost', weight: 1 },
    ],
    tee: [{ backend: 'phantom', percent: 10 }],
    filters: ['nofilter'],
    surprise: true,
  });
  assert.equal(r.status, 400);
  assert.equal(r.body.error, 'invalid_document');
  assert.equal(typeof r.body.message, 'string');
  const f = fields(r.body);
  for (const want of ['match.pathPrefix', 'match.methods', 'priority', 'surprise', 'split[1].backend', 'tee[0].backend', 'filters[0]']) {
    assert.ok(f.includes(want), `${want} in ${JSON.stringify(r.body.errors)}`);
  }
  assert.ok(!f.includes('split[0].backend'), 'an existing backend is not an error');
  for (const e of r.body.errors) assert.ok(e.field && e.message, JSON.stringify(e));
  assert.equal(await j.store.get('/junction/routes/bad'), undefined);
});

test('references: a single backend, and a route whose backend is missing even though the schema passes', async () => {
  const r = await api(j.adminUrl, 'PUT', '/api/v1/routes/r', { match: { pathPrefix: '/r/' }, backend: 'ghost' });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body.errors, [{ field: 'backend', message: 'names backend ghost, which does not exist' }]);
  const ok = await api(j.adminUrl, 'PUT', '/api/v1/routes/r', { match: { pathPrefix: '/r/' }, backend: 'real' });
  assert.equal(ok.status, 201, ok.text);
});

test('rule errors (exactly one of backend or split, regex syntax) name their fields', async () => {
  const r = await api(j.adminUrl, 'PUT', '/api/v1/routes/rules', { match: { pathRegex: '/(unclosed' } });
  assert.equal(r.status, 400);
  assert.deepEqual(fields(r.body).sort(), ['backend', 'match.pathRegex']);
  const b = await api(j.adminUrl, 'PUT', '/api/v1/backends/b', { balancer: 'hash', servers: [{ id: 'x', url: 'http://127.0.0.1:1/path' }] });
  assert.equal(b.status, 400);
  assert.deepEqual(fields(b.body).sort(), ['hashKey', 'servers[0].url']);
});

test('a body that is not JSON, not an object, or empty is a 400 on (document)', async () => {
  for (const body of ['{"match": {', '[1,2]', '"text"', '']) {
    const r = await api(j.adminUrl, 'PUT', '/api/v1/routes/json', body, { 'content-type': 'application/json' });
    assert.equal(r.status, 400, body);
    assert.equal(r.body.error, 'invalid_document');
    assert.deepEqual(fields(r.body), ['(document)'], body);
  }
  const syntax = await api(j.adminUrl, 'PUT', '/api/v1/routes/json', '{"match": {', { 'content-type': 'application/json' });
  assert.match(syntax.body.errors[0].message, /not valid JSON/);
});

test('bad ids are 400 invalid_id; a wrong content type is 415; an oversized body is 413', async () => {
  const id = await api(j.adminUrl, 'PUT', '/api/v1/routes/Upper_Case', { backend: 'real' });
  assert.equal(id.status, 400);
  assert.equal(id.body.error, 'invalid_id');
  assert.deepEqual(fields(id.body), ['id']);
  const sid = await api(j.adminUrl, 'PUT', '/api/v1/backends/real/servers/-x', { url: 'http://127.0.0.1:1' });
  assert.equal(sid.status, 400);
  assert.deepEqual(fields(sid.body), ['sid']);
  const form = await api(j.adminUrl, 'PUT', '/api/v1/routes/x', '<route/>', { 'content-type': 'application/xml' });
  assert.equal(form.status, 415);
  assert.equal(form.body.error, 'unsupported_media_type');
  // what `curl -d @file.json` sends without -H 'content-type: ...', and text/plain, are what a web
  // page may send cross-site without a preflight: refused, though the body is JSON
  for (const type of ['application/x-www-form-urlencoded', 'text/plain']) {
    const r = await api(j.adminUrl, 'PUT', '/api/v1/routes/curl', JSON.stringify({ backend: 'real' }), { 'content-type': type });
    assert.equal(r.status, 415, `${type}: ${r.text}`);
    assert.equal(r.body.error, 'unsupported_media_type');
  }
  assert.equal(await j.store.get('/junction/routes/curl'), undefined);
  const json = await api(j.adminUrl, 'PUT', '/api/v1/routes/curl', JSON.stringify({ backend: 'real' }), { 'content-type': 'Application/JSON; charset=utf-8' });
  assert.equal(json.status, 201, json.text);
  const huge = await api(j.adminUrl, 'PUT', '/api/v1/routes/x', JSON.stringify({ backend: 'real', pad: 'x'.repeat(1_100_000) }));
  assert.equal(huge.status, 413);
  assert.equal(huge.body.error, 'body_too_large');
});

test('unknown paths under /api/v1 are 404 and wrong methods 405', async () => {
  assert.equal((await api(j.adminUrl, 'GET', '/api/v1/widgets')).status, 404);
  const m = await api(j.adminUrl, 'POST', '/api/v1/routes/x', { backend: 'real' });
  assert.equal(m.status, 405);
  assert.match(String(m.headers.allow), /PUT/);
});
