import { HTTP_ERRORS, type ErrorCode, type HttpErrorCode } from './catalogue.js';

/**
 * The base of every error Junction raises on purpose: a stable `code` from the catalogue (what
 * scripts and tests branch on, never the message) and the cause, when there is one.
 */
export class JunctionError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * An error a client receives as an HTTP answer: its status comes from the catalogue, its body is
 * `{"error": code, "message": ..., ...extra}` (error-response.ts writes it).
 */
export class HttpError extends JunctionError {
  declare readonly code: HttpErrorCode;
  readonly status: number;
  /** more fields of the body (`errors` of an invalid document, `routes` still using a backend, ...) */
  readonly extra: Readonly<Record<string, unknown>>;

  constructor(code: HttpErrorCode, message: string, extra: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(code, message, options);
    this.status = HTTP_ERRORS[code];
    this.extra = extra;
  }
}
