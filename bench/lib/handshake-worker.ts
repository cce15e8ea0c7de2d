/**
 * Child process: a TLS handshake load for the bench driver, pinned next to the upstream. Each of
 * `concurrency` loops opens a new TLS connection (ALPN http/1.1, certificate not verified), sends
 * one `GET` with `Connection: close`, reads the response to its end, and starts over. Without
 * `resume` every handshake is full (Node's client keeps no session cache of its own); with it, each
 * loop offers the session its previous connection received. Receives { type: 'run', spec } over IPC,
 * sends a tick per second, then { type: 'result' }.
 */
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import { connect } from 'node:tls';
import { exitWithParent } from './child-ipc.js';
import type { HandshakeMessage, HandshakeResult, HandshakeRun, HandshakeSpec } from './handshake-types.js';

function send(msg: HandshakeMessage): void {
  process.send?.(msg);
}

interface Phase {
  readonly name: 'warmup' | 'measure';
  total: number;
  reused: number;
  errors: number;
  non2xx: number;
  readonly handshake: RecordableHistogram;
  readonly latency: RecordableHistogram;
}

const newPhase = (name: Phase['name']): Phase => ({ name, total: 0, reused: 0, errors: 0, non2xx: 0, handshake: createHistogram(), latency: createHistogram() });

async function run(spec: HandshakeSpec): Promise<HandshakeResult> {
  const u = new URL(spec.url);
  const host = u.hostname;
  const port = Number(u.port);
  const names = spec.servernames ?? [];
  let next = 0;
  let phase = newPhase('warmup');
  let stopped = false;
  let tickCount = 0;

  /** One connection: handshake, request, response, close. Resolves with the session it was given (if any). */
  const once = (session: Buffer | undefined): Promise<Buffer | undefined> =>
    new Promise((resolve) => {
      const servername = names.length > 0 ? names[next++ % names.length] : undefined;
      const t0 = performance.now();
      let tHs = 0;
      let got: Buffer | undefined;
      const p = phase;
      const socket = connect({
        host,
        port,
        rejectUnauthorized: false,
        ALPNProtocols: ['http/1.1'],
        ...(servername ? { servername } : {}),
        ...(session ? { session } : {}),
      });
      const chunks: Buffer[] = [];
      const timer = setTimeout(() => socket.destroy(new Error('timeout')), 10_000);
      if (spec.resume) socket.on('session', (s: Buffer) => (got = s));
      socket.once('secureConnect', () => {
        tHs = performance.now();
        socket.write(`GET ${spec.path} HTTP/1.1\r\nHost: ${servername ?? u.host}\r\nConnection: close\r\n\r\n`);
      });
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.once('end', () => {
        clearTimeout(timer);
        const t1 = performance.now();
        const head = Buffer.concat(chunks).subarray(0, 16).toString('latin1');
        p.total++;
        tickCount++;
        if (socket.isSessionReused()) p.reused++;
        if (!/^HTTP\/1\.[01] 200/.test(head)) p.non2xx++;
        p.handshake.record(Math.max(1, Math.round((tHs - t0) * 1000)));
        p.latency.record(Math.max(1, Math.round((t1 - t0) * 1000)));
        socket.destroy();
        resolve(got ?? session);
      });
      socket.once('error', () => {
        clearTimeout(timer);
        p.errors++;
        socket.destroy();
        resolve(undefined);
      });
    });

  const loop = async () => {
    let session: Buffer | undefined;
    while (!stopped) {
      const s = await once(spec.resume ? session : undefined);
      if (spec.resume) session = s;
    }
  };

  let second = 0;
  const ticker = setInterval(() => {
    second++;
    send({ type: 'tick', phase: phase.name, second, requests: tickCount });
    tickCount = 0;
  }, 1000);
  const loops = Array.from({ length: spec.concurrency }, () => loop());
  await new Promise((r) => setTimeout(r, spec.warmupS * 1000));
  phase = newPhase('measure');
  second = 0;
  send({ type: 'measuring' });
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, spec.durationS * 1000));
  const measured = phase;
  const durationS = (performance.now() - t0) / 1000;
  send({ type: 'measured' });
  phase = newPhase('warmup'); // connections still under way count nowhere
  stopped = true;
  clearInterval(ticker);
  await Promise.all(loops);
  const ms = (h: RecordableHistogram, p: number) => Math.round(h.percentile(p) / 10) / 100;
  const mean = (h: RecordableHistogram) => (h.count > 0 ? Math.round(h.mean / 10) / 100 : 0);
  return {
    total: measured.total,
    durationS: Math.round(durationS * 1000) / 1000,
    rps: Math.round(measured.total / durationS),
    reused: measured.reused,
    errors: measured.errors,
    non2xx: measured.non2xx,
    handshakeMs: { p50: ms(measured.handshake, 50), p99: ms(measured.handshake, 99), mean: mean(measured.handshake) },
    latencyMs: { p50: ms(measured.latency, 50), p99: ms(measured.latency, 99), mean: mean(measured.latency), max: Math.round(measured.latency.max / 10) / 100 },
  };
}

function main(): void {
  exitWithParent();
  process.on('message', (msg: HandshakeRun) => {
    if (msg.type !== 'run') return;
    run(msg.spec).then(
      (result) => send({ type: 'result', result }),
      (err: unknown) => send({ type: 'failed', message: err instanceof Error ? err.message : String(err) }),
    ).finally(() => process.disconnect());
  });
}

main();
