import { existsSync } from 'node:fs';

export const CADDY_BIN = process.env['BENCH_CADDY_BIN'] ?? '/usr/bin/caddy';

export function caddyAvailable(): boolean {
  return existsSync(CADDY_BIN);
}

export interface CaddyConfigOptions {
  readonly listenPort: number;
  /** host:port of the upstream */
  readonly upstream: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/**
 * Caddy 2 as a TLS reverse proxy (Caddyfile): the site `:PORT` bound to 127.0.0.1 with the bench's
 * certificate from files (`tls CERT KEY`: no ACME, no internal CA), `reverse_proxy` to the upstream
 * (its defaults: keep-alive HTTP/1.1 to the upstream, X-Forwarded-* headers), HTTP/1.1 and HTTP/2
 * only (no HTTP/3 listener), no admin endpoint, no automatic HTTPS redirects, its own logs discarded
 * and no access log. TLS otherwise at Go's and Caddy's defaults (TLS 1.2–1.3, session tickets on).
 */
export function caddyConfig(o: CaddyConfigOptions): string {
  return `{
	admin off
	auto_https off
	servers {
		protocols h1 h2
	}
	log {
		output discard
	}
}
:${o.listenPort} {
	bind 127.0.0.1
	tls ${o.certFile} ${o.keyFile}
	reverse_proxy ${o.upstream}
}
`;
}
