import { JunctionError } from '../errors/junction-error.js';

/** The codes of the errors the routing module raises (errors/catalogue.ts). */
export type RoutingErrorCode = 'invalid_regex' | 'invalid_match';

/** A route's `match` the router cannot index. `field` is relative to the RouteSpec (`match.pathRegex`). */
export class RoutingError extends JunctionError {
  declare readonly code: RoutingErrorCode;
  readonly field: string;

  constructor(code: RoutingErrorCode, field: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.field = field;
  }
}

/** `pathRegex` does not compile as a JavaScript regular expression. */
export class InvalidRegexError extends RoutingError {
  declare readonly code: 'invalid_regex';
  readonly source: string;

  constructor(source: string, reason: string, options?: { cause?: unknown }) {
    super('invalid_regex', 'match.pathRegex', `is not a valid regular expression: ${reason}`, options);
    this.source = source;
  }
}
