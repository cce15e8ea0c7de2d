/**
 * Child process of the soak bench: autocannon (as a library) at a FIXED rate (`overallRate`) for
 * a long time. Receives { type: 'run', spec } over IPC, sends cumulative counts once a second
 * ({ type: 'tick' }), then { type: 'result' }. Counts are kept separately: responses, non-2xx,
 * socket errors (timeouts excluded) and timeouts.
 */
import autocannon from 'autocannon';
import { exitWithParent } from './child-ipc.js';
import type { SoakLoadCounts, SoakLoadMessage, SoakLoadRun } from './soak-types.js';

function send(msg: SoakLoadMessage): void {
  process.send?.(msg);
}

function run(msg: SoakLoadRun): Promise<void> {
  const { spec } = msg;
  const counts = { responses: 0, non2xx: 0, errors: 0, timeouts: 0 };
  const snapshot = (): SoakLoadCounts => ({ ...counts });
  return new Promise((resolve) => {
    let second = 0;
    const instance = autocannon(
      {
        url: `${spec.url}${spec.path}`,
        connections: spec.connections,
        overallRate: spec.rps,
        duration: spec.durationS,
        timeout: spec.timeoutS,
      },
      (err: unknown, r: autocannon.Result) => {
        clearInterval(ticker);
        if (err) send({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
        else
          send({
            type: 'result',
            counts: snapshot(),
            // autocannon's own totals: its `errors` include the timeouts
            autocannon: { total: r.requests.total, errors: r.errors, timeouts: r.timeouts, non2xx: r.non2xx, durationS: r.duration, latencyP50: r.latency.p50, latencyP99: r.latency.p99, latencyMax: r.latency.max },
          });
        resolve();
      },
    );
    const events = instance as unknown as NodeJS.EventEmitter;
    // autocannon emits (client, statusCode, bytes, responseTimeMs); its typings omit the client
    events.on('response', (_client: unknown, status: number) => {
      counts.responses++;
      if (status < 200 || status > 299) counts.non2xx++;
    });
    events.on('reqError', (err: unknown) => {
      const code = (err as { code?: unknown } | undefined)?.code;
      const timeout = code === 'ETIMEDOUT' || (err instanceof Error && /timed? ?out/i.test(err.message));
      if (timeout) counts.timeouts++;
      else counts.errors++;
    });
    const ticker = setInterval(() => {
      second++;
      send({ type: 'tick', second, counts: snapshot() });
    }, 1000);
  });
}

function main(): void {
  exitWithParent();
  process.on('message', (msg: SoakLoadRun) => {
    if (msg.type === 'run') void run(msg).finally(() => process.disconnect());
  });
}

main();
