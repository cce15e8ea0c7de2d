/**
 * Child process: the bench's upstream. A minimal node:http server on 127.0.0.1 that answers every
 * request 200 with a small fixed body, keep-alive. Args: --body TEXT (default "hello from upstream\n").
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { argValue, exitWithParent, reportReady } from './child-ipc.js';

function main(argv: readonly string[]): void {
  const body = Buffer.from(argValue(argv, 'body', 'hello from upstream\n'));
  const headers = { 'content-type': 'text/plain', 'content-length': String(body.length) };
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, headers);
      res.end(body);
    });
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  exitWithParent(() => server.closeAllConnections());
  server.listen(0, '127.0.0.1', () => reportReady((server.address() as AddressInfo).port));
}

main(process.argv.slice(2));
