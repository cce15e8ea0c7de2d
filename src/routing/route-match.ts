/**
 * A route's match conditions as the router reads them, already validated. Routing declares what it
 * needs and depends on no configuration module; config's `MatchSpec` (the schema type) must stay
 * assignable to it, which config/decode/route-rules.ts checks at compile time.
 */
export interface RouteMatch {
  /** exact host or `*.example.com`, either with `:port` */
  readonly host?: string;
  /** at most one of `path`, `pathPrefix`, `pathRegex` */
  readonly path?: string;
  readonly pathPrefix?: string;
  /** a full match of the normalized path (RE2 syntax, see path-pattern.ts) */
  readonly pathRegex?: string;
  readonly methods?: readonly string[];
  /** header name (any case) -> the value it must have */
  readonly headers?: Readonly<Record<string, string>>;
}
