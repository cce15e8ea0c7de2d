import { HttpError, JunctionError } from '../errors/junction-error.js';

/** A filter module that cannot be used: it failed to import, lacks a type or create(), or has a bad schema. */
export class FilterModuleError extends JunctionError {
  constructor(
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('filter_module', `${file}: ${message}`, options);
  }
}

/** A filter that threw, rejected, or overran the chain's time budget while serving a request (500 or 504). */
export class FilterRunError extends HttpError {
  constructor(
    readonly filterId: string,
    readonly timedOut: boolean,
    options?: { cause?: unknown },
  ) {
    super(timedOut ? 'filter_timeout' : 'filter_error', timedOut ? `filter ${filterId} did not finish in time` : `filter ${filterId} failed`, {}, options);
  }
}
