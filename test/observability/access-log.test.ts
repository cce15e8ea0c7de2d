import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccessLog, type AccessRecord } from '../../src/observability/access-log.js';
import { IsoTime } from '../../src/observability/iso-time.js';
import { createLogger } from '../../src/observability/logger.js';

/** ISO 8601 UTC with milliseconds, as `Date.prototype.toISOString` (and pino's `isoTime`) writes it */
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const RECORD: AccessRecord = { reqId: 'r', ip: '::1', method: 'GET', host: 'h', protocol: 'http/1.1', url: '/', status: 200, ms: 1, route: undefined, backend: undefined, server: undefined, detail: undefined };

test('an access line is one JSON object per request, with every field escaped', () => {
  const lines: string[] = [];
  const log = new AccessLog({ write: (l: string) => lines.push(l) });
  log.record({
    reqId: 'r-1',
    ip: '10.0.0.1',
    method: 'GET',
    host: 'shop.example',
    protocol: 'h2',
    url: '/a?q="x"\n\u2028',
    status: 200,
    ms: 1.23456,
    route: 'shop',
    backend: 'v2',
    server: 's1',
    detail: undefined,
  });
  log.record({ reqId: 'r-2', ip: '::1', method: undefined, host: undefined, protocol: 'http/1.1', url: '/', status: 404, ms: 0.1, route: undefined, backend: undefined, server: undefined, detail: 'no_route' });
  assert.equal(lines.length, 2);
  for (const l of lines) assert.ok(l.endsWith('}\n') && !l.slice(0, -1).includes('\n'), 'one line each');
  const a = JSON.parse(lines[0] as string);
  assert.equal(a.level, 'info');
  assert.equal(a.log, 'access');
  assert.match(a.time, ISO);
  assert.ok(Math.abs(Date.parse(a.time) - Date.now()) < 5000);
  assert.deepEqual(
    { reqId: a.reqId, ip: a.ip, method: a.method, host: a.host, protocol: a.protocol, url: a.url, status: a.status, ms: a.ms, route: a.route, backend: a.backend, server: a.server },
    { reqId: 'r-1', ip: '10.0.0.1', method: 'GET', host: 'shop.example', protocol: 'h2', url: '/a?q="x"\n\u2028', status: 200, ms: 1.23, route: 'shop', backend: 'v2', server: 's1' },
  );
  const b = JSON.parse(lines[1] as string);
  assert.equal(b.detail, 'no_route');
  assert.equal(b.method, null);
  assert.equal('route' in b, false);
});

test('the time of an access line is the instant of the clock in ISO form, across seconds, with padding, and when the clock steps back', () => {
  const times: string[] = [];
  let now = 0;
  const log = new AccessLog({ write: (l: string) => times.push(JSON.parse(l).time) }, () => now);
  const instants = [
    Date.UTC(2025, 0, 31, 23, 59, 59, 998),
    Date.UTC(2025, 0, 31, 23, 59, 59, 999),
    Date.UTC(2025, 1, 1, 0, 0, 0, 0), // next second, day and month: the cached second must not be reused
    Date.UTC(2025, 1, 1, 0, 0, 0, 7), // milliseconds padded to three digits
    Date.UTC(2025, 1, 1, 0, 0, 0, 42),
    Date.UTC(2025, 1, 1, 0, 0, 1, 500),
    Date.UTC(2025, 1, 1, 0, 0, 0, 999), // the clock stepped back a second (NTP): still this instant
    Date.UTC(1969, 11, 31, 23, 59, 59, 1), // before the epoch: negative milliseconds
  ];
  for (const t of instants) {
    now = t;
    log.record(RECORD);
  }
  assert.deepEqual(times, instants.map((t) => new Date(t).toISOString()));
});

test('IsoTime formats every millisecond of a second as toISOString does, and drops fractions', () => {
  const iso = new IsoTime();
  const base = Date.UTC(2024, 1, 29, 12, 0, 0); // a leap day
  for (let ms = 0; ms < 2000; ms++) assert.equal(iso.format(base + ms), new Date(base + ms).toISOString());
  assert.equal(iso.format(base + 5.9), new Date(base + 5).toISOString());
});

test('access lines and process log lines carry time in the same form', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'junction-access-time-'));
  try {
    const file = join(dir, 'out.log');
    const log = createLogger({ destination: file, sync: true });
    log.logger.info('configuration applied');
    new AccessLog(log.sink).record(RECORD);
    log.flush();
    const lines = (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 2);
    const [processLine, accessLine] = lines;
    assert.equal(accessLine.log, 'access');
    assert.equal(typeof processLine.time, 'string');
    assert.match(processLine.time, ISO);
    assert.match(accessLine.time, ISO);
    assert.ok(Date.parse(accessLine.time) >= Date.parse(processLine.time), 'in order');
    assert.ok(Date.parse(accessLine.time) - Date.parse(processLine.time) < 5000);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
