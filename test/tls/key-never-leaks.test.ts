/**
 * A private key never leaves Junction (SPEC §8): every way a certificate can be written — good,
 * bad, through the API, a transaction, a dry run, straight into the store, a value that is not
 * JSON — and then every way Junction talks: the admin API's answers, the status document and the
 * instance's status key, the events socket, /metrics, and every log line down to trace. None holds
 * `PRIVATE KEY` or any piece of a key.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import WebSocket from 'ws';
import { startJunction } from '../../src/junction.js';
import { api } from '../admin/api-support.js';
import { mintCert, pemBody } from '../support/certs.js';
import { get } from '../support/junction.js';
import { waitFor } from '../support/wait.js';

const good = mintCert({ names: ['good.example.com'] });
const other = mintCert({ names: ['other.example.com'] });
const expired = mintCert({ names: ['old.example.com'], days: -1 });
const KEYS = [good.key, other.key, expired.key];

/** Any 10 characters in a row of a key's base64 body (V8 quotes 10 of a text that is not JSON) is a leak. */
function leaks(text: string): string[] {
  const found: string[] = [];
  if (/PRIVATE KEY/.test(text)) found.push('the text "PRIVATE KEY"');
  for (const k of KEYS) {
    const body = pemBody(k);
    for (let i = 0; i + 10 <= body.length; i++) {
      if (text.includes(body.slice(i, i + 10))) {
        found.push(`key material at offset ${i}`);
        break;
      }
    }
  }
  return found;
}

test('no API answer, status document, status key, events message, metric or log line carries a private key', async () => {
  assert.notDeepEqual(leaks(`x ${pemBody(good.key).slice(30, 80)} y`), [], 'the detector finds a piece of a key');
  assert.notDeepEqual(leaks('-----BEGIN PRIVATE KEY-----'), []);
  const lines: string[] = [];
  const logger = pino({ level: 'trace' }, { write: (s: string) => void lines.push(s) });
  const dataDir = mkdtempSync(join(tmpdir(), 'junction-leak-'));
  const j = await startJunction({
    listen: { host: '127.0.0.1', port: 0 },
    admin: { host: '127.0.0.1', port: 0 },
    prefix: '/junction',
    instanceId: 'leak-test',
    dataDir,
    logger,
  });
  const admin = `http://127.0.0.1:${j.adminAddress.port}`;
  const answers: string[] = [];
  const messages: string[] = [];
  const ws = new WebSocket(`ws://127.0.0.1:${j.adminAddress.port}/api/v1/events`);
  ws.on('message', (m: Buffer) => messages.push(m.toString()));
  try {
    await j.firstApplied;
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const call = async (method: string, path: string, body?: unknown) => {
      const r = await api(admin, method, path, body);
      answers.push(`${method} ${path} -> ${r.status} ${r.text}`);
      return r;
    };

    // written through the API: good, a dry run, every kind of bad, a transaction
    assert.equal((await call('PUT', '/api/v1/certs/good', { cert: good.cert, key: good.key, default: true })).status, 201);
    await call('PUT', '/api/v1/certs/good?dryRun=1', { cert: good.cert, key: good.key });
    await call('PUT', '/api/v1/certs/bad', { cert: good.cert, key: other.key });
    await call('PUT', '/api/v1/certs/bad', { cert: good.cert + good.key, key: good.key });
    await call('PUT', '/api/v1/certs/bad', { cert: good.key, key: good.cert });
    await call('PUT', '/api/v1/certs/bad', { cert: expired.cert, key: expired.key });
    await call('PUT', '/api/v1/certs/bad', `{"cert": "x", "key": "${good.key}"}`); // raw newlines: not JSON
    await call('PUT', '/api/v1/certs/bad', pemBody(good.key));
    await call('POST', '/api/v1/tx', { ops: [{ op: 'put', key: 'certs/tx', value: { cert: other.cert, key: good.key } }] });
    const tx = await call('POST', '/api/v1/tx', { ops: [{ op: 'put', key: 'certs/tx', value: { cert: other.cert, key: other.key } }] });
    assert.equal(tx.status, 200);
    // written straight into the store, as etcdctl would: rejected by the watch, reported by key and field
    await j.store.put('/junction/certs/direct', JSON.stringify({ cert: good.cert, key: other.key }));
    await j.store.put('/junction/certs/swapped', JSON.stringify({ cert: good.key, key: good.cert }));
    await j.store.put('/junction/certs/notjson', `{"key": "${good.key}"`);
    await j.store.put('/junction/certs/notjson2', pemBody(other.key));
    const last = await j.store.put('/junction/certs/expired', JSON.stringify({ cert: expired.cert, key: expired.key }));
    await waitFor('the last write applied', () => (j.snapshot()?.revision ?? 0) >= last);
    assert.ok((j.snapshot()?.issues.length ?? 0) >= 5, 'the bad values are reported');
    assert.equal(j.switcher.current?.certs.match('good.example.com')?.id, 'good');

    // and every way Junction answers
    for (const path of ['/api/v1/certs', '/api/v1/certs/good', '/api/v1/certs/direct', '/api/v1/certs/notjson', '/api/v1/certs/swapped', '/api/v1/status', '/api/v1/topology']) {
      assert.equal((await call('GET', path)).status, 200, path);
    }
    answers.push((await get(`${admin}/metrics`)).text);
    await call('DELETE', '/api/v1/certs/tx');
    await waitFor('the status key is written', async () => (await j.store.get('/junction/status/leak-test'))?.value.includes('/junction/certs/expired'));
    const statusKey = (await j.store.get('/junction/status/leak-test'))?.value ?? '';
    await waitFor('the events arrived', () => messages.some((m) => m.includes('"config.rejected"') && m.includes('/junction/certs/expired')));

    assert.ok(lines.some((l) => l.includes('config rejected') && l.includes('/junction/certs/direct')), 'rejections are logged (by key)');
    const where: Array<[string, string[]]> = [
      ['API answers', answers],
      ['the status key', [statusKey]],
      ['events messages', messages],
      ['log lines', lines],
    ];
    for (const [what, texts] of where) {
      const found = texts.flatMap((t) => leaks(t).map((l) => `${l} in ${t.slice(0, 160)}`));
      assert.deepEqual(found, [], `${what} (${texts.length} of them) carry no private key`);
    }
  } finally {
    ws.close();
    await j.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
