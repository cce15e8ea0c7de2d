import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AccessLog } from '../../src/observability/access-log.js';

test('an access line is one JSON object per request, with every field escaped', () => {
  const lines: string[] = [];
  const log = new AccessLog({ write: (l: string) => lines.push(l) });
  log.record({
    reqId: 'r-1',
    ip: '10.0.0.1',
    method: 'GET',
    host: 'shop.example',
    url: '/a?q="x"\n\u2028',
    status: 200,
    ms: 1.23456,
    route: 'shop',
    backend: 'v2',
    server: 's1',
    detail: undefined,
  });
  log.record({ reqId: 'r-2', ip: '::1', method: undefined, host: undefined, url: '/', status: 404, ms: 0.1, route: undefined, backend: undefined, server: undefined, detail: 'no_route' });
  assert.equal(lines.length, 2);
  for (const l of lines) assert.ok(l.endsWith('}\n') && !l.slice(0, -1).includes('\n'), 'one line each');
  const a = JSON.parse(lines[0] as string);
  assert.equal(a.level, 'info');
  assert.equal(a.log, 'access');
  assert.ok(Math.abs(a.time - Date.now()) < 5000);
  assert.deepEqual(
    { reqId: a.reqId, ip: a.ip, method: a.method, host: a.host, url: a.url, status: a.status, ms: a.ms, route: a.route, backend: a.backend, server: a.server },
    { reqId: 'r-1', ip: '10.0.0.1', method: 'GET', host: 'shop.example', url: '/a?q="x"\n\u2028', status: 200, ms: 1.23, route: 'shop', backend: 'v2', server: 's1' },
  );
  const b = JSON.parse(lines[1] as string);
  assert.equal(b.detail, 'no_route');
  assert.equal(b.method, null);
  assert.equal('route' in b, false);
});
