import type { ConfigErrorCode } from '../errors/catalogue.js';

/**
 * A problem with one stored key: the value is not JSON, fails its schema, names something that
 * does not exist, or sits where no document belongs. Issues never stop the proxy: the key's last
 * valid version keeps serving (or the thing stays inactive when it never had one).
 */
export type ConfigIssueCode = ConfigErrorCode;

export interface ConfigIssue {
  /** the absolute key, e.g. `/junction/routes/api` */
  readonly key: string;
  /** the field path inside the document, dotted (`match.pathPrefix`, `split[1].weight`), when one is to blame */
  readonly field?: string;
  readonly code: ConfigIssueCode;
  readonly message: string;
  /** the revision of the value the issue is about */
  readonly revision: number;
}

/** A field-level validation error before it is tied to a key. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

export function formatIssue(issue: ConfigIssue): string {
  return `${issue.key}${issue.field ? ` (${issue.field})` : ''}: ${issue.message}`;
}
