/**
 * `node dist/bench/slow-uploads.js`: can slow uploads take a backend away from everyone else?
 * N clients (BENCH_SLOW_UPLOADS, default 130 — more than the 128 connections a server's pool has)
 * each send a request head and one body byte, then nothing; meanwhile normal GETs to the same
 * backend are timed. Two kinds of upload: `Content-Length: 1000` (Junction reads such a small body
 * whole before it takes a connection) and chunked (streamed: each holds a pooled connection until
 * `timeouts.bodyMs` cuts it). Loopback only; every socket and process is closed at the end.
 * BENCH_JUNCTION_BIN runs another build (the same bench on the build before the fix is the
 * baseline). Writes bench/results/slow-uploads.json.
 */
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { benchPaths } from './lib/bench-paths.js';
import { detectPinning } from './lib/pinning.js';
import { ProcessGroup } from './lib/process-group.js';
import { startReadyJunction } from './lib/junction-process.js';
import { writeResult } from './lib/results.js';
import { pollUntil, sleep } from './lib/time.js';

const UPLOADS = Number(process.env['BENCH_SLOW_UPLOADS'] ?? 130);
const GETS = 20;
const GET_DEADLINE_MS = 10_000;

interface GetResult {
  readonly status: number | 'timeout' | 'error';
  readonly ms: number;
}

function timedGet(port: number): Promise<GetResult> {
  return new Promise((resolve) => {
    const started = performance.now();
    const s = connect(port, '127.0.0.1', () => s.write('GET /normal HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    let text = '';
    const done = (status: GetResult['status']) => {
      clearTimeout(timer);
      s.destroy();
      resolve({ status, ms: performance.now() - started });
    };
    const timer = setTimeout(() => done('timeout'), GET_DEADLINE_MS);
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      text += d;
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (m) done(Number(m[1]));
    });
    s.on('error', () => done('error'));
  });
}

function openUploads(port: number, kind: 'content-length' | 'chunked'): Socket[] {
  const head = kind === 'chunked' ? 'Transfer-Encoding: chunked\r\n\r\n1\r\nx\r\n' : 'Content-Length: 1000\r\n\r\nx';
  return Array.from({ length: UPLOADS }, () => {
    const s = connect(port, '127.0.0.1', () => s.write(`POST /upload HTTP/1.1\r\nHost: x\r\n${head}`));
    s.on('error', () => undefined);
    s.on('data', () => undefined);
    return s;
  });
}

function summary(results: readonly GetResult[]): { statuses: Record<string, number>; p50Ms: number; maxMs: number } {
  const ms = results.map((r) => r.ms).sort((a, b) => a - b);
  const statuses: Record<string, number> = {};
  for (const r of results) statuses[String(r.status)] = (statuses[String(r.status)] ?? 0) + 1;
  return { statuses, p50Ms: Math.round(ms[ms.length >> 1] ?? 0), maxMs: Math.round(ms.at(-1) ?? 0) };
}

async function put(adminUrl: string, path: string, doc: unknown): Promise<void> {
  const r = await fetch(`${adminUrl}/api/v1/${path}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(doc) });
  if (r.status >= 300) throw new Error(`PUT ${path}: ${r.status} ${await r.text()}`);
}

async function main(): Promise<void> {
  const paths = benchPaths();
  const group = new ProcessGroup(detectPinning({ ...process.env, BENCH_PIN: '0' }));
  const uninstall = group.installSignalHandlers();
  const upstream: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
  const open: Socket[] = [];
  try {
    const j = await startReadyJunction(group, paths, { name: 'slow-uploads', accessLog: 'off' });
    const port = Number(new URL(j.url).port);
    await put(j.adminUrl, 'backends/b', { servers: [{ id: 's', url: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` }] });
    await put(j.adminUrl, 'routes/r', { match: { pathPrefix: '/' }, backend: 'b' });
    await pollUntil('the route to serve', async () => ((await timedGet(port)).status === 200 ? true : undefined), 10_000, 50);
    const rows: Record<string, ReturnType<typeof summary>> = {};
    for (const kind of ['content-length', 'chunked'] as const) {
      const sockets = openUploads(port, kind);
      open.push(...sockets);
      await sleep(1000); // every upload has sent its head and byte
      const results: GetResult[] = [];
      for (let i = 0; i < GETS; i++) results.push(await timedGet(port));
      rows[kind] = summary(results);
      process.stdout.write(`${UPLOADS} stalled ${kind} uploads: GET ${JSON.stringify(rows[kind])}\n`);
      for (const s of sockets) s.destroy();
      await sleep(500);
    }
    writeResult(paths, 'slow-uploads.json', { bench: 'slow-uploads', date: new Date().toISOString(), junctionBin: paths.junctionBin, uploads: UPLOADS, gets: GETS, rows });
  } finally {
    for (const s of open) s.destroy();
    upstream.closeAllConnections();
    upstream.close();
    await group.stopAll();
    uninstall();
  }
}

await main();
