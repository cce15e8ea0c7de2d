// How undici's failures become answers and kinds. One case reads undici's message (it has no code
// of its own): this test pins it, so an undici upgrade that changes it fails here first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { classifyUpstreamError, countsAsUnreachable } from '../../src/proxy/upstream-errors.js';

function dispatchError(answer: string | null): Promise<unknown> {
  return new Promise((resolve) => {
    const server = createServer((c) => {
      c.on('data', () => (answer === null ? c.end() : c.write(answer)));
      c.on('error', () => undefined);
    });
    server.listen(0, '127.0.0.1', () => {
      const pool = new Pool(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
      const done = (err: unknown): void => {
        void pool.destroy();
        server.close();
        resolve(err);
      };
      pool.dispatch(
        { path: '/', method: 'GET', headers: [] },
        { onConnect() {}, onHeaders: () => true, onData: () => true, onComplete: () => done(undefined), onError: done },
      );
    });
  });
}

test('an unsolicited 100 Continue is a protocol failure of a reachable server; a closed connection is a reset', async () => {
  const refused = await dispatchError('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
  assert.equal((refused as { code?: string }).code, 'UND_ERR_SOCKET');
  assert.equal((refused as Error).message, 'bad response', "undici's wording, which upstream-errors.ts reads");
  assert.equal(classifyUpstreamError(refused).kind, 'protocol');
  assert.equal(countsAsUnreachable('protocol'), false);
  const closed = await dispatchError(null);
  assert.equal(classifyUpstreamError(closed).kind, 'reset');
  assert.equal(countsAsUnreachable('reset'), true);
});

test('a request undici refuses before sending is `local`: never counted against the server', () => {
  const err = Object.assign(new Error('invalid host header'), { code: 'UND_ERR_INVALID_ARG' });
  const { kind, error } = classifyUpstreamError(err);
  assert.equal(kind, 'local');
  assert.equal(error.status, 502);
  assert.equal(countsAsUnreachable('local'), false);
});
