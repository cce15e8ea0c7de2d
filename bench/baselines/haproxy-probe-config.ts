import { existsSync } from 'node:fs';

export const HAPROXY_BIN = process.env['BENCH_HAPROXY_BIN'] ?? '/usr/sbin/haproxy';

export function haproxyAvailable(): boolean {
  return existsSync(HAPROXY_BIN);
}

export interface HaproxyProbeConfigOptions {
  readonly listenPort: number;
  /** host:port of the recording upstream */
  readonly upstream: string;
}

/**
 * HAProxy for the bad-input probe: `mode http` with its keep-alive defaults, one thread, 2 s
 * timeouts like the probe's Junction and nginx, `option forwardfor`, and the probe's two special
 * rules: requests whose path matches `^/re/(a+)+$` are tagged `X-Probe-Route: re`, and `/admin/`
 * is denied to loopback clients.
 */
export function haproxyProbeConfig(o: HaproxyProbeConfigOptions): string {
  return `global
  nbthread 1
  maxconn 1000

defaults
  mode http
  option forwardfor
  timeout connect 2s
  timeout client 2s
  timeout server 2s
  timeout http-request 2s

frontend probe
  bind 127.0.0.1:${o.listenPort}
  acl admin path_beg /admin/
  acl loopback src 127.0.0.0/8
  http-request deny if admin loopback
  http-request set-header X-Probe-Route re if { path_reg ^/re/(a+)+$ }
  default_backend upstream

backend upstream
  server u1 ${o.upstream}
`;
}
