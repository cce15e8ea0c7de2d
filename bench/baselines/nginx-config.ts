import { existsSync } from 'node:fs';

export const NGINX_BIN = process.env['BENCH_NGINX_BIN'] ?? '/usr/sbin/nginx';

export function nginxAvailable(): boolean {
  return existsSync(NGINX_BIN);
}

export interface NginxConfigOptions {
  /** temp prefix directory (pid, logs, temp paths) */
  readonly prefix: string;
  readonly listenPort: number;
  /** host:port of the upstream */
  readonly upstream: string;
  /** access log file, or undefined for access_log off */
  readonly accessLog?: string;
  /**
   * listen with TLS and HTTP/2 (`listen ... ssl http2`) with this certificate and key (files);
   * everything else TLS at nginx's defaults (protocols, ciphers, no session cache, session tickets on)
   */
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
}

/** Extra configuration text spliced into the baseline (the tee bench adds `mirror` this way). */
export interface NginxConfigExtras {
  /** after the `bench_upstream` block, inside `http` */
  readonly http?: string;
  /** first directives of `location /` */
  readonly location?: string;
  /** after `location /`, inside `server` */
  readonly server?: string;
}

/**
 * nginx as a plain reverse proxy: one worker, keep-alive to the upstream (HTTP/1.1, empty
 * Connection header), in the foreground (daemon off) so the bench owns its PID. Run as root,
 * workers stay root (`user root`) so they can write under the temp prefix; otherwise nginx runs as
 * the current user and ignores `user`.
 */
export function nginxConfig(o: NginxConfigOptions, extras: NginxConfigExtras = {}): string {
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
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
  }${extras.http ?? ''}
  server {
    listen 127.0.0.1:${o.listenPort}${o.tls ? ' ssl http2' : ''};${o.tls ? `
    ssl_certificate ${o.tls.certFile};
    ssl_certificate_key ${o.tls.keyFile};` : ''}
    location / {${extras.location ?? ''}
      proxy_pass http://bench_upstream;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }${extras.server ?? ''}
  }
}
`;
}
