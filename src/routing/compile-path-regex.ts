import { InvalidRegexError } from './errors.js';

/**
 * Compiles a route's `pathRegex` as a full match of the normalized path (like Envoy's
 * `safe_regex`): `^(?:source)$`, no flags. The source is first compiled on its own, so a source
 * that would only be valid once wrapped (`a)|(b`) is rejected instead of escaping the anchors.
 * Throws `InvalidRegexError` (code `invalid_regex`); the config validator reuses this function.
 */
export function compilePathRegex(source: string): RegExp {
  try {
    new RegExp(source);
    return new RegExp(`^(?:${source})$`);
  } catch (err) {
    throw new InvalidRegexError(source, err instanceof Error ? err.message : String(err), { cause: err });
  }
}
