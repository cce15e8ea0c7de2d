import { JunctionError } from './junction-error.js';

/** Errors the proxy answers to clients with (SPEC §4), as `{"error": code, "message": ...}`. */
export const ProxyErrorCode = {
  noRoute: 'no_route',
  noServer: 'no_server',
  upstreamError: 'upstream_error',
  upstreamTimeout: 'upstream_timeout',
  bodyTooLarge: 'body_too_large',
  headersTooLarge: 'headers_too_large',
  badRequest: 'bad_request',
  requestTimeout: 'request_timeout',
  notReady: 'not_ready',
} as const;
export type ProxyErrorCode = (typeof ProxyErrorCode)[keyof typeof ProxyErrorCode];

const STATUS: Record<ProxyErrorCode, number> = {
  no_route: 404,
  no_server: 503,
  upstream_error: 502,
  upstream_timeout: 504,
  body_too_large: 413,
  headers_too_large: 431,
  bad_request: 400,
  request_timeout: 408,
  not_ready: 503,
};

export class ProxyError extends JunctionError {
  declare readonly code: ProxyErrorCode;
  /** the upstream failure kind for `junction_upstream_errors_total{kind}`, when one caused this */
  readonly upstreamKind: string | undefined;

  constructor(code: ProxyErrorCode, message: string, options?: { cause?: unknown; upstreamKind?: string }) {
    super(code, STATUS[code], message, options);
    this.upstreamKind = options?.upstreamKind;
  }
}
