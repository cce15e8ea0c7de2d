import { JunctionError } from '../errors/junction-error.js';

/** Stable codes of the errors the routing module raises. */
export const RoutingErrorCode = {
  invalidRegex: 'invalid_regex',
  invalidMatch: 'invalid_match',
} as const;
export type RoutingErrorCode = (typeof RoutingErrorCode)[keyof typeof RoutingErrorCode];

/** A route's `match` the router cannot index. `field` is relative to the RouteSpec (`match.pathRegex`). */
export class RoutingError extends JunctionError {
  declare readonly code: RoutingErrorCode;
  readonly field: string;

  constructor(code: RoutingErrorCode, field: string, message: string, options?: { cause?: unknown }) {
    super(code, 400, message, options);
    this.field = field;
  }
}

/** `pathRegex` does not compile as a JavaScript regular expression. */
export class InvalidRegexError extends RoutingError {
  declare readonly code: typeof RoutingErrorCode.invalidRegex;
  readonly source: string;

  constructor(source: string, reason: string, options?: { cause?: unknown }) {
    super(RoutingErrorCode.invalidRegex, 'match.pathRegex', `is not a valid regular expression: ${reason}`, options);
    this.source = source;
  }
}
