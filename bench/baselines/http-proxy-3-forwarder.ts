/**
 * Child process: the plainest http-proxy-3 forwarder, the bench's reference point.
 * Args: --target URL  --agent keepalive|none
 *   keepalive: createProxyServer({ target, agent: new http.Agent({ keepAlive: true }) })
 *   none:      http-proxy-3's default (agent: false, a new upstream connection per request)
 */
import { Agent, ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createProxyServer } from 'http-proxy-3';
import { argValue, exitWithParent, reportReady } from '../lib/child-ipc.js';

function main(argv: readonly string[]): void {
  const target = argValue(argv, 'target');
  const keepAlive = argValue(argv, 'agent', 'keepalive') === 'keepalive';
  const proxy = createProxyServer(keepAlive ? { target, agent: new Agent({ keepAlive: true }) } : { target });
  proxy.on('error', (_err: Error, _req: unknown, res: unknown) => {
    if (res instanceof ServerResponse) {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end('{"error":"upstream_error"}');
    }
  });
  const server = createServer((req, res) => proxy.web(req, res));
  server.keepAliveTimeout = 65_000;
  exitWithParent(() => server.closeAllConnections());
  server.listen(0, '127.0.0.1', () => reportReady((server.address() as AddressInfo).port));
}

main(process.argv.slice(2));
