import { nginxConfig, type NginxConfigOptions } from './nginx-config.js';

export interface NginxMirrorConfigOptions extends NginxConfigOptions {
  /** host:port of the shadow; undefined: the same nginx without `mirror` (its own baseline) */
  readonly shadow?: string;
}

/**
 * nginx for the tee bench: the existing baseline's configuration (one worker, keep-alive upstream,
 * HTTP/1.1, foreground) plus, when `shadow` is given, `mirror /mirror` to an `upstream shadow {}`
 * with its own keep-alive pool. nginx finishes a request only after its mirror subrequests, so a
 * slow shadow holds every client connection for the shadow's latency.
 */
export function nginxMirrorConfig(o: NginxMirrorConfigOptions): string {
  const shadowUpstream = o.shadow
    ? `
  upstream shadow {
    server ${o.shadow};
    keepalive 128;
    keepalive_requests 1000000;
  }`
    : '';
  const mirror = o.shadow ? '\n      mirror /mirror;' : '';
  const mirrorLocation = o.shadow
    ? `
    location = /mirror {
      internal;
      proxy_pass http://shadow$request_uri;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }`
    : '';
  return nginxConfig(o, { http: shadowUpstream, location: mirror, server: mirrorLocation });
}
