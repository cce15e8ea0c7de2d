import type { NginxConfigOptions } from './nginx-config.js';

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
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
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
  return `${asRoot ? 'user root;\n' : ''}worker_processes 1;
daemon off;
pid ${o.prefix}/nginx.pid;
error_log ${o.prefix}/error.log warn;
events { worker_connections 4096; }
http {
  access_log ${o.accessLog ?? 'off'};
  client_body_temp_path ${o.prefix}/client_body;
  proxy_temp_path ${o.prefix}/proxy;
  fastcgi_temp_path ${o.prefix}/fastcgi;
  uwsgi_temp_path ${o.prefix}/uwsgi;
  scgi_temp_path ${o.prefix}/scgi;
  keepalive_timeout 65s;
  keepalive_requests 1000000;
  upstream bench_upstream {
    server ${o.upstream};
    keepalive 128;
    keepalive_requests 1000000;
  }${shadowUpstream}
  server {
    listen 127.0.0.1:${o.listenPort};
    location / {${mirror}
      proxy_pass http://bench_upstream;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }${mirrorLocation}
  }
}
`;
}
