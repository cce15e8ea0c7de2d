/**
 * nginx for the bad-input probe: one worker in the foreground, `proxy_pass` over HTTP/1.1 with the
 * WebSocket `map` the nginx docs recommend (https://nginx.org/en/docs/http/websocket.html), the
 * usual forwarding headers, 2 s timeouts like the probe's Junction, and the probe's two special
 * locations: `~ ^/re/(a+)+$` (tags the request `X-Probe-Route: re`) and `/admin/` denying loopback.
 */
export interface NginxProbeConfigOptions {
  readonly prefix: string;
  readonly listenPort: number;
  /** host:port of the recording upstream */
  readonly upstream: string;
}

export function nginxProbeConfig(o: NginxProbeConfigOptions): string {
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const forward = `
      proxy_pass http://${o.upstream};
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $host;
      proxy_set_header X-Real-IP $remote_addr;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;`;
  return `${asRoot ? 'user root;\n' : ''}worker_processes 1;
daemon off;
pid ${o.prefix}/nginx.pid;
error_log ${o.prefix}/error.log info;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${o.prefix}/client_body;
  proxy_temp_path ${o.prefix}/proxy;
  fastcgi_temp_path ${o.prefix}/fastcgi;
  uwsgi_temp_path ${o.prefix}/uwsgi;
  scgi_temp_path ${o.prefix}/scgi;
  map $http_upgrade $connection_upgrade {
    default upgrade;
    '' close;
  }
  proxy_connect_timeout 2s;
  proxy_read_timeout 2s;
  client_body_timeout 2s;
  server {
    listen 127.0.0.1:${o.listenPort};
    location / {${forward}
    }
    location ~ ^/re/(a+)+$ {${forward}
      proxy_set_header X-Probe-Route re;
    }
    location /admin/ {
      deny 127.0.0.0/8;${forward}
    }
  }
}
`;
}
