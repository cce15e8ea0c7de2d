/**
 * The base of every error Junction raises on purpose: a stable `code` (what scripts and tests
 * branch on, never the message) and the HTTP status it maps to when a client sees it.
 */
export class JunctionError extends Error {
  readonly code: string;
  readonly status: number;

  constructor(code: string, status: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
  }
}
