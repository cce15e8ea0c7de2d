/**
 * Child process: a shadow upstream for the tee bench. A node:http server on 127.0.0.1 answering
 * every request 200 with a small body, after a delay drawn uniformly from [--min-ms, --max-ms]
 * (0 and 0: at once). Counts what it receives; answers { type: 'stats' } over IPC with a
 * ShadowStats message, so the bench can say how many copies actually arrived.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { argValue, exitWithParent, reportReady } from './child-ipc.js';
import type { ShadowStats } from './shadow-types.js';

function main(argv: readonly string[]): void {
  const minMs = Number(argValue(argv, 'min-ms', '0'));
  const maxMs = Math.max(minMs, Number(argValue(argv, 'max-ms', String(minMs))));
  const body = Buffer.from('hello from shadow\n');
  const headers = { 'content-type': 'text/plain', 'content-length': String(body.length) };
  let received = 0;
  let marked = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer((req, res) => {
    received++;
    if (req.headers['x-junction-shadow'] === '1') marked++;
    inFlight++;
    if (inFlight > maxInFlight) maxInFlight = inFlight;
    const answer = () => {
      inFlight--;
      res.writeHead(200, headers);
      res.end(body);
    };
    req.resume();
    req.on('end', () => {
      if (maxMs <= 0) answer();
      else setTimeout(answer, minMs + Math.random() * (maxMs - minMs));
    });
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  process.on('message', (msg: { type?: unknown }) => {
    if (msg.type !== 'stats') return;
    const stats: ShadowStats = { type: 'stats', received, marked, inFlight, maxInFlight };
    process.send?.(stats);
  });
  exitWithParent(() => server.closeAllConnections());
  server.listen(0, '127.0.0.1', () => reportReady((server.address() as AddressInfo).port));
}

main(process.argv.slice(2));
