/** What `serve --demo` prints once it is up: how to try the demo configuration. */
export function demoBanner(
  proxy: { readonly address: string; readonly port: number },
  admin: { readonly address: string; readonly port: number },
  tls?: { readonly address: string; readonly port: number },
): string {
  const host = proxy.address === '0.0.0.0' || proxy.address === '::' ? '127.0.0.1' : proxy.address;
  return [
    '',
    'Junction demo is up:',
    `  curl http://${host}:${proxy.port}/hello                                  90% demo-stable, 10% demo-canary (sticky cookie junction_canary)`,
    `  curl -H 'x-junction-backend: demo-canary' http://${host}:${proxy.port}/   forced to the canary`,
    `  curl http://${host}:${proxy.port}/canary/hello                           path route -> demo-canary`,
    `  (20% of GET traffic on / is mirrored to demo-shadow: see "tee" in the status)`,
    ...(tls === undefined ? [] : [`  curl -k --http2 https://localhost:${tls.port}/hello                      the same over TLS and HTTP/2 (self-signed certificate)`]),
    `  curl http://${admin.address}:${admin.port}/api/v1/status`,
    '',
    '',
  ].join('\n');
}
