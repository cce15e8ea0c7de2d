import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DemoUpstream {
  readonly name: string;
  readonly url: string;
  readonly server: Server;
}

/**
 * A tiny upstream for the demo: answers every request with JSON naming itself, the method, the
 * path and the headers Junction forwarded, so a user sees the routing (and later the split and the
 * tee) from curl. `/healthz` answers 200.
 */
export async function startDemoUpstream(name: string, host = '127.0.0.1', port = 0): Promise<DemoUpstream> {
  let served = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      served++;
      const body = JSON.stringify(
        {
          upstream: name,
          served,
          method: req.method,
          url: req.url,
          requestId: req.headers['x-request-id'],
          forwardedFor: req.headers['x-forwarded-for'],
          shadow: req.headers['x-junction-shadow'] === '1',
        },
        null,
        2,
      );
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-demo-upstream': name });
      res.end(body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return { name, url: `http://${shown}:${bound}`, server };
}

export async function stopDemoUpstreams(ups: readonly DemoUpstream[]): Promise<void> {
  await Promise.all(
    ups.map(
      (u) =>
        new Promise<void>((resolve) => {
          u.server.close(() => resolve());
          u.server.closeAllConnections();
        }),
    ),
  );
}
