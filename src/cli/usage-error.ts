import { JunctionError } from '../errors/junction-error.js';

/** A bad command line: printed as one line; the CLI exits with status 2. */
export class UsageError extends JunctionError {
  constructor(message: string) {
    super('usage', message);
  }
}
