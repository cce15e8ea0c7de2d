/**
 * Every error code Junction gives, in one place. Scripts, tests and the docs (docs/errors.md)
 * branch on these codes, never on message text.
 *
 * HTTP_ERRORS are the codes a client receives in a JSON error body `{"error": code, "message"}`,
 * each with the one status it is answered with — from the proxy listener (to any request,
 * upgrades included) and from the admin API alike. The other groups never make an HTTP answer by
 * themselves: a configuration value rejected by key and field, a store failure (the admin API
 * maps it to `store_unavailable`, `store_error` or `bad_request`), a process failure, a command
 * line failure (the CLI alone turns errors into exit codes, in src/cli/).
 */
export const HTTP_ERRORS = {
  // the proxy listener
  no_route: 404,
  no_server: 503,
  upstream_error: 502,
  upstream_timeout: 504,
  upstream_busy: 503,
  body_too_large: 413,
  headers_too_large: 431,
  bad_request: 400,
  request_timeout: 408,
  version_not_supported: 505,
  not_ready: 503,
  filter_error: 500,
  filter_timeout: 504,
  // the admin API (bad_request and body_too_large as above)
  unauthorized: 401,
  forbidden_origin: 403,
  forbidden_host: 403,
  not_found: 404,
  method_not_allowed: 405,
  invalid_document: 400,
  invalid_id: 400,
  conflict: 409,
  in_use: 409,
  precondition_failed: 412,
  unsupported_media_type: 415,
  upgrade_required: 426,
  internal: 500,
  store_error: 500,
  store_unavailable: 503,
  worker_unavailable: 502,
  no_worker: 503,
  shutting_down: 503,
} as const satisfies Record<string, number>;

export type HttpErrorCode = keyof typeof HTTP_ERRORS;

/**
 * Why a stored key or a filter module is not used as it is (a ConfigIssue in the status, by key and
 * field; an admin PUT answers them all as `invalid_document`).
 */
export const CONFIG_ERRORS = [
  'invalid_json',
  'invalid_value',
  'unknown_key',
  'unresolved_reference',
  'retained',
  'invalid_regex',
  'invalid_match',
  'filter_module',
] as const;

/** Failures of a configuration store (src/config/store/errors.ts has a class for each). */
export const STORE_ERRORS = [
  'store_locked',
  'store_corrupt',
  'store_unavailable',
  'store_unauthorized',
  'store_forbidden',
  'store_closed',
  'store_io',
  'invalid_key',
  'invalid_request',
  'store_error',
] as const;

/** Failures of the process: it cannot start, or a `--workers` process cannot reach another. */
export const PROCESS_ERRORS = ['listen_failed', 'worker_start_failed', 'ipc_closed', 'ipc_timeout', 'ipc_remote_error', 'ipc_unknown_op'] as const;

/**
 * Failures of a command line (`usage`), of the admin client commands before any answer, and an
 * admin answer whose code this client does not know (`http_error`; the message has the status).
 * A document file that is not JSON is `invalid_json`, as a stored value would be.
 */
export const CLI_ERRORS = ['usage', 'unreachable', 'not_junction', 'http_error'] as const;

export type ConfigErrorCode = (typeof CONFIG_ERRORS)[number];
export type StoreErrorCode = (typeof STORE_ERRORS)[number];
export type ProcessErrorCode = (typeof PROCESS_ERRORS)[number];
export type CliErrorCode = (typeof CLI_ERRORS)[number];
export type ErrorCode = HttpErrorCode | ConfigErrorCode | StoreErrorCode | ProcessErrorCode | CliErrorCode;

export function isHttpErrorCode(code: unknown): code is HttpErrorCode {
  return typeof code === 'string' && Object.hasOwn(HTTP_ERRORS, code);
}
