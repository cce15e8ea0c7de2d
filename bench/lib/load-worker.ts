/**
 * Child process: runs autocannon (as a library) for the bench driver, pinned next to the upstream.
 * Receives { type: 'run', spec } over IPC, sends a tick per second, then { type: 'result' }.
 */
import autocannon from 'autocannon';
import { createHistogram } from 'node:perf_hooks';
import { exitWithParent } from './child-ipc.js';
import type { LoadResult, LoadSpec, RunMessage, WorkerMessage } from './load-types.js';

function send(msg: WorkerMessage): void {
  process.send?.(msg);
}

function runOnce(spec: LoadSpec, phase: 'warmup' | 'measure'): Promise<LoadResult> {
  const hist = createHistogram();
  return new Promise((resolve, reject) => {
    const opts: autocannon.Options = {
      url: spec.url,
      connections: spec.connections,
      duration: phase === 'warmup' ? spec.warmupS : spec.durationS,
      timeout: 10,
      ...(spec.requests ? { requests: spec.requests.map((r) => ({ method: (r.method ?? 'GET') as 'GET', path: r.path, headers: r.headers })) } : {}),
    };
    let second = 0;
    let count = 0;
    const instance = autocannon(opts, (err: unknown, r: autocannon.Result) => {
      clearInterval(ticker);
      if (err) return reject(err instanceof Error ? err : new Error(String(err)));
      const us = (x: number) => Math.round(x / 10) / 100; // histogram holds µs; report ms with 2 decimals
      const total = r.requests.total;
      resolve({
        rps: Math.round(total / r.duration),
        total,
        durationS: r.duration,
        latencyMs: {
          p50: us(hist.percentile(50)),
          p90: us(hist.percentile(90)),
          p99: us(hist.percentile(99)),
          max: us(hist.max),
          mean: us(hist.mean),
        },
        errors: r.errors,
        timeouts: r.timeouts,
        non2xx: r.non2xx,
        bytesPerSec: Math.round(r.throughput.average),
        autocannon: { requestsAverage: r.requests.average, p50: r.latency.p50, p99: r.latency.p99 },
      });
    });
    // autocannon emits (client, statusCode, bytes, responseTimeMs); its typings omit the client
    (instance as unknown as NodeJS.EventEmitter).on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => {
      hist.record(Math.max(1, Math.round(ms * 1000)));
      count++;
    });
    const ticker = setInterval(() => {
      second++;
      send({ type: 'tick', phase, second, requests: count });
      count = 0;
    }, 1000);
  });
}

async function run(spec: LoadSpec): Promise<void> {
  try {
    if (spec.warmupS > 0) await runOnce(spec, 'warmup');
    send({ type: 'measuring' });
    const result = await runOnce(spec, 'measure');
    send({ type: 'result', result });
  } catch (err) {
    send({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
  }
}

function main(): void {
  exitWithParent();
  process.on('message', (msg: RunMessage) => {
    if (msg.type === 'run') void run(msg.spec).finally(() => process.disconnect());
  });
}

main();
