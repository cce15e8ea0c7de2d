import type { ErrorCode } from '../../errors/catalogue.js';
import { JunctionError } from '../../errors/junction-error.js';

/**
 * Exit codes of the admin client commands and `junction validate` (docs/cli.md): what a script
 * may branch on.
 */
export const ExitCode = {
  ok: 0,
  /** the API refused the request (invalid document, server error) or the file is invalid */
  failed: 1,
  /** bad command line */
  usage: 2,
  /** the admin API cannot be reached (connection refused, timeout, not Junction) */
  unreachable: 3,
  /** the admin API wants a (different) token: 401 */
  unauthorized: 4,
  /** the route, backend, server or filter does not exist: 404 */
  notFound: 5,
  /** it changed meanwhile (412) or is still in use (409) */
  conflict: 6,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A client failure: printed as one line per message on stderr, then the process exits with `exitCode`. */
export class CliError extends JunctionError {
  readonly exitCode: ExitCode;
  /** more lines (one per validation error), printed after the message */
  readonly details: readonly string[];

  constructor(exitCode: ExitCode, code: ErrorCode, message: string, details: readonly string[] = [], options?: { cause?: unknown }) {
    super(code, message, options);
    this.exitCode = exitCode;
    this.details = details;
  }
}

export function usage(message: string): CliError {
  return new CliError(ExitCode.usage, 'usage', message);
}

/** The exit code for an HTTP error status of the admin API. */
export function exitCodeForStatus(status: number): ExitCode {
  if (status === 401) return ExitCode.unauthorized;
  if (status === 404) return ExitCode.notFound;
  if (status === 409 || status === 412) return ExitCode.conflict;
  return ExitCode.failed;
}
