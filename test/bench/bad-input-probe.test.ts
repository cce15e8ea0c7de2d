// The bad-input probe's own pieces: how it frames responses, what its upstream records and
// answers, and how a cell reads. (The probe itself runs by hand: docs/bench.md.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { clientCell, errorDetail, upstreamCell, upstreamRequestText } from '../../bench/lib/bad-input-report.js';
import { exchange, parseResponses, type Exchange } from '../../bench/lib/raw-exchange.js';
import { RecordingUpstream } from '../../bench/lib/recording-upstream.js';

let up: RecordingUpstream;
before(async () => {
  up = await RecordingUpstream.start();
});
after(() => up.close());

const ok = 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n';

test('parseResponses: 1xx and 204/304 have no body whatever Content-Length says; chunked and length bodies end the response', () => {
  const p = parseResponses(`HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n${ok}`);
  assert.deepEqual(p.heads.map((h) => h.status), [103, 200]);
  assert.equal(p.finalDone, true);
  assert.equal(parseResponses('HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n').finalDone, true);
  assert.equal(parseResponses('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab').finalDone, false);
  assert.equal(parseResponses('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n').finalDone, true);
  assert.equal(parseResponses('HTTP/1.1 200 OK\r\n\r\nuntil close').finalDone, false);
  const two = parseResponses(`${ok}HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n`);
  assert.deepEqual(two.heads.map((h) => h.status), [200, 400]);
  assert.deepEqual(parseResponses('HTTP/1.1 101 Switching Protocols\r\n\r\n\x81\x00').heads.map((h) => h.status), [101]);
});

test('the recording upstream keeps the exact head, frames chunked bodies and answers by path', async () => {
  up.take();
  const body = 'POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n';
  const ex = await exchange({ port: up.port, bytes: `${body}GET /early-hints HTTP/1.1\r\nHost: h\r\n\r\n`, deadlineMs: 3000, idleMs: 200 });
  assert.deepEqual(ex.responses.map((r) => r.status), [200, 103, 200]);
  assert.equal(ex.end, 'kept-open');
  const [post, hints] = up.take();
  assert.equal(post?.head, 'POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n');
  assert.equal(post?.body, '3\r\nabc\r\n0\r\n\r\n');
  assert.equal(post?.complete, true);
  assert.equal(hints?.requestLine, 'GET /early-hints HTTP/1.1');
  assert.equal(post?.conn, hints?.conn, 'one connection, two requests');
});

test('an incomplete body is recorded as far as it came, and no answer is sent', async () => {
  up.take();
  const ex = await exchange({ port: up.port, bytes: 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nx', deadlineMs: 400, idleMs: 100 });
  assert.equal(ex.end, 'deadline');
  assert.equal(ex.responses.length, 0);
  const [r] = up.take();
  assert.equal(r?.bodyBytes, 1);
  assert.equal(r?.complete, false);
  assert.equal(upstreamRequestText(r!, ['content-length', 'transfer-encoding']), '`POST / HTTP/1.1`, Content-Length: 10, (absent: transfer-encoding), body 1 of 10 B, incomplete');
});

test('clientCell says what came, when, the error code, and how the connection ended', () => {
  const ex = (o: Partial<Exchange>): Exchange => ({ responses: [], end: 'closed', endMs: 5, bytes: 0, raw: '', ...o });
  const head = (status: number, statusLine: string, atMs: number, headers: [string, string][] = []) => ({ status, statusLine, atMs, headers });
  assert.equal(clientCell(ex({ end: 'deadline', endMs: 6000 })), 'no answer in 6.0 s');
  assert.equal(clientCell(ex({ endMs: 2004 })), 'no answer; closed at 2.0 s');
  assert.equal(
    clientCell(ex({ responses: [head(502, 'HTTP/1.1 502 Bad Gateway', 3)], end: 'kept-open', endMs: 504, raw: 'HTTP/1.1 502 Bad Gateway\r\n\r\n{"error":"upstream_error"}' })),
    '**502 Bad Gateway** `upstream_error` (3 ms), kept open',
  );
  assert.equal(
    clientCell(ex({ responses: [head(103, 'HTTP/1.1 103 Early Hints', 1, [['Link', '</a>']]), head(200, 'HTTP/1.1 200 OK', 2)], end: 'kept-open' }), ['link']),
    '**103 Early Hints** [Link: </a>] → **200 OK** (1 ms), kept open',
  );
  assert.equal(clientCell(ex({ responses: [head(101, 'HTTP/1.1 101 Switching Protocols', 3)], endMs: 2003 })), '**101 Switching Protocols** (3 ms), closed at 2.0 s');
});

test('errorDetail: a JSON error code, or an HTML title only when no status line already says it', () => {
  const head = (statusLine: string) => ({ statusLine, status: Number(statusLine.split(' ')[1]), headers: [], atMs: 0 });
  const html = (t: string) => `<html><head><title>${t}</title></head></html>`;
  assert.equal(errorDetail({ raw: '{"error":"bad_request"}', responses: [head('HTTP/1.1 400 Bad Request')] }), '`bad_request`');
  assert.equal(errorDetail({ raw: html('400 Bad Request'), responses: [head('HTTP/1.1 200 OK'), head('HTTP/1.1 400 Bad Request')] }), undefined);
  assert.equal(errorDetail({ raw: html('400 Request Header Or Cookie Too Large'), responses: [head('HTTP/1.1 400 Bad Request')] }), '"Request Header Or Cookie Too Large"');
});

test("upstreamCell names the proxy's and the upstream's addresses H and U, one line per proxy", () => {
  const req = { conn: 1, atMs: 0, head: '', requestLine: 'GET / HTTP/1.1', headers: [['host', '127.0.0.1:4000']] as [string, string][], bodyBytes: 0, body: '', complete: true };
  const ex: Exchange = { responses: [], end: 'closed', endMs: 1, bytes: 0, raw: '' };
  const cellText = upstreamCell(
    [
      { proxy: 'Junction', proxyPort: 4000, exchange: ex, upstream: [req] },
      { proxy: 'nginx', proxyPort: 4001, exchange: ex, upstream: [{ ...req, headers: [['Host', '127.0.0.1:5000']] }] },
      { proxy: 'HAProxy', proxyPort: 4002, exchange: ex, upstream: [] },
    ],
    ['host'],
    5000,
  );
  assert.equal(cellText, 'Junction: `GET / HTTP/1.1`, host: H<br>nginx: `GET / HTTP/1.1`, Host: U<br>HAProxy: nothing');
});
