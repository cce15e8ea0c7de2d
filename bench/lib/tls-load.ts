import { existsSync } from 'node:fs';
import type { BenchPaths } from './bench-paths.js';
import { cpuWindow } from './cpu-usage.js';
import type { HandshakeMessage, HandshakeRun, HandshakeSpec } from './handshake-types.js';
import type { Managed, ProcessGroup } from './process-group.js';
import { within } from './time.js';

export const H2LOAD_BIN = process.env['BENCH_H2LOAD_BIN'] ?? '/usr/bin/h2load';
export const WRK_BIN = process.env['BENCH_WRK_BIN'] ?? '/usr/bin/wrk';

export const h2loadAvailable = (): boolean => existsSync(H2LOAD_BIN);
export const wrkAvailable = (): boolean => existsSync(WRK_BIN);

/** What one measured part of a load tool gave (h2load, wrk or the handshake worker). */
export interface ToolResult {
  /** requests (handshake runs: connections, one request each) completed in the measured part */
  readonly total: number;
  readonly durationS: number;
  readonly rps: number;
  /** failed, errored, timed out (h2load); socket errors (wrk); connection errors (handshakes) */
  readonly errors: number;
  readonly non2xx: number;
  /** request latency, ms: the mean and max always; p50 and p99 where the tool gives them (wrk, handshakes) */
  readonly latencyMs: { readonly mean: number; readonly max: number; readonly p50?: number; readonly p99?: number };
  /** handshake runs: of `total`, how many resumed a session */
  readonly reused?: number;
  /** handshake runs: connect -> secure, ms */
  readonly handshakeMs?: { readonly p50: number; readonly p99: number; readonly mean: number };
}

/** CPU over a measured part: the watched processes, every core, and the bench's whole process tree. */
export interface ToolWindow {
  /** CPU of the watched processes (descendants included), % of one core */
  readonly processPct: number;
  readonly corePct: readonly number[];
  /** CPU of every process of the bench (driver and descendants), % of one core */
  readonly treePct: number;
  readonly wallS: number;
}

export interface ToolRun {
  readonly result: ToolResult;
  readonly window: ToolWindow | undefined;
}

function openWindow(pids: readonly number[]): () => ToolWindow {
  const proxy = cpuWindow(pids);
  const tree = cpuWindow([process.pid]);
  const t0 = performance.now();
  return () => {
    const p = proxy.end(0);
    const t = tree.end(0);
    return { processPct: p.processPct, corePct: p.corePct, treePct: t.processPct, wallS: (performance.now() - t0) / 1000 };
  };
}

/** Collects a child's whole stdout (the ProcessGroup keeps only a tail) and calls `onLine` per line. */
function readLines(m: Managed, onLine: (line: string) => void): () => string {
  let all = '';
  let partial = '';
  m.child.stdout?.on('data', (c: Buffer) => {
    const text = c.toString('utf8');
    all += text;
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) onLine(l);
  });
  return () => all;
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };
const toMs = (v: string | undefined, unit: string | undefined): number => Math.round(Number(v ?? NaN) * (UNIT_MS[unit ?? ''] ?? NaN) * 100) / 100;

/** Parses h2load's summary (timing-based mode: its counts are of the measured part only). */
export function parseH2load(out: string, durationS: number): ToolResult {
  const req = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(out);
  const codes = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(out);
  const t = /time for request:\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)/.exec(out);
  if (!req || !codes) throw new Error(`h2load printed no summary:\n${out.slice(-2000)}`);
  const n = (i: number, m: RegExpExecArray = req) => Number(m[i]);
  const total = n(4);
  return {
    total,
    durationS,
    rps: Math.round(total / durationS),
    errors: n(5) + n(6) + n(7),
    non2xx: n(2, codes) + n(3, codes) + n(4, codes),
    latencyMs: { mean: t ? toMs(t[5], t[6]) : NaN, max: t ? toMs(t[3], t[4]) : NaN },
  };
}

/** Parses wrk's summary (with --latency). */
export function parseWrk(out: string): ToolResult {
  const done = /(\d+) requests in ([\d.]+)(us|ms|s|m),/.exec(out);
  if (!done) throw new Error(`wrk printed no summary:\n${out.slice(-2000)}`);
  const total = Number(done[1]);
  const durationS = toMs(done[2], done[3]) / 1000;
  const lat = /Latency\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)/.exec(out);
  const pct = (p: string) => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(out);
    return m ? toMs(m[1], m[2]) : NaN;
  };
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  return {
    total,
    durationS,
    rps: Math.round(total / durationS),
    errors: sock ? Number(sock[1]) + Number(sock[2]) + Number(sock[3]) + Number(sock[4]) : 0,
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    latencyMs: { mean: lat ? toMs(lat[1], lat[2]) : NaN, max: lat ? toMs(lat[5], lat[6]) : NaN, p50: pct('50'), p99: pct('99') },
  };
}

export interface StreamLoadSpec {
  readonly label: string;
  /** full URL, `https://localhost:<port>/path` (SNI and :authority `localhost`) or `http://…` */
  readonly url: string;
  readonly connections: number;
  readonly warmupS: number;
  readonly durationS: number;
}

/**
 * h2load (HTTP/2 over TLS), one thread, pinned to the load core: `-c connections -m streams -D
 * durationS --warm-up-time warmupS`. The CPU window of `pids` opens when h2load says its main
 * duration started and closes when it says it is over.
 */
export async function runH2load(group: ProcessGroup, spec: StreamLoadSpec & { readonly streams: number }, pids: readonly number[]): Promise<ToolRun> {
  const args = ['-t', '1', '-c', String(spec.connections), '-m', String(spec.streams), '-D', String(spec.durationS), ...(spec.warmupS > 0 ? ['--warm-up-time', String(spec.warmupS)] : []), spec.url];
  const m = group.spawn(`h2load:${spec.label}`, H2LOAD_BIN, args, { core: group.pinning.loadCore, stdout: 'capture', stderr: 'capture' });
  let close: (() => ToolWindow) | undefined;
  let window: ToolWindow | undefined;
  const all = readLines(m, (line) => {
    if (/^Main benchmark duration is started/.test(line)) close = openWindow(pids);
    else if (/^Main benchmark duration is over/.test(line) && close) window = close();
  });
  try {
    const exit = await within(m.exited, (spec.warmupS + spec.durationS + 30) * 1000, `h2load ${spec.label}`);
    if (exit.code !== 0) throw new Error(`h2load ${spec.label} exited ${exit.code}:\n${m.output()}`);
    return { result: parseH2load(all(), window?.wallS ?? spec.durationS), window };
  } finally {
    await group.stop(m, 2000);
  }
}

/**
 * wrk (HTTP/1.1, keep-alive; over TLS for an https URL, without ALPN: HTTP/1.1), one thread, pinned
 * to the load core: an unmeasured warm-up run, then the measured run with the CPU window of `pids`
 * around it.
 */
export async function runWrk(group: ProcessGroup, spec: StreamLoadSpec, pids: readonly number[]): Promise<ToolRun> {
  const once = async (seconds: number, measured: boolean): Promise<ToolRun> => {
    const args = ['-t', '1', '-c', String(spec.connections), '-d', `${seconds}s`, '--timeout', '10s', '--latency', spec.url];
    const close = measured ? openWindow(pids) : undefined;
    const m = group.spawn(`wrk:${spec.label}`, WRK_BIN, args, { core: group.pinning.loadCore, stdout: 'capture', stderr: 'capture' });
    const all = readLines(m, () => undefined);
    try {
      const exit = await within(m.exited, (seconds + 30) * 1000, `wrk ${spec.label}`);
      const window = close?.();
      if (exit.code !== 0) throw new Error(`wrk ${spec.label} exited ${exit.code}:\n${m.output()}`);
      return { result: parseWrk(all()), window };
    } finally {
      await group.stop(m, 2000);
    }
  };
  if (spec.warmupS > 0) await once(spec.warmupS, false);
  return once(spec.durationS, true);
}

/** The handshake worker (bench/lib/handshake-worker.ts) on the load core, with the CPU window of `pids` over its measured part. */
export async function runHandshakes(group: ProcessGroup, paths: BenchPaths, spec: HandshakeSpec, pids: readonly number[]): Promise<ToolRun> {
  const worker = group.spawn(`handshakes:${spec.label}`, process.execPath, [paths.script('lib/handshake-worker.js')], {
    core: group.pinning.loadCore,
    ipc: true,
    stdout: 'capture',
    stderr: 'capture',
  });
  let close: (() => ToolWindow) | undefined;
  let window: ToolWindow | undefined;
  const done = new Promise<ToolRun>((resolve, reject) => {
    worker.child.on('message', (msg: HandshakeMessage) => {
      if (msg.type === 'measuring') close = openWindow(pids);
      else if (msg.type === 'measured') window = close?.();
      else if (msg.type === 'result') resolve({ result: msg.result, window });
      else if (msg.type === 'failed') reject(new Error(`handshake worker failed for ${spec.label}: ${msg.message}`));
    });
    void worker.exited.then((e) => reject(new Error(`handshake worker exited (code ${e.code}) before a result for ${spec.label}${worker.output() ? `:\n${worker.output()}` : ''}`)));
  });
  const run: HandshakeRun = { type: 'run', spec };
  worker.child.send(run);
  try {
    return await within(done, (spec.warmupS + spec.durationS + 30) * 1000, `handshakes ${spec.label}`);
  } finally {
    await group.stop(worker, 2000);
  }
}
