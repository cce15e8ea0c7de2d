export type { RouteCandidate } from './route-candidate.js';
export type { RouteMatch } from './route-match.js';
export type { RequestView } from './request-view.js';
export { RouteIndex } from './route-index.js';
export { normalizePath } from './normalize-path.js';
export { compilePathRegex, PathPattern } from './path-pattern.js';
export { InvalidRegexError, RoutingError, type RoutingErrorCode } from './errors.js';
export { comparePrecedence } from './precedence.js';
export type { PrecedenceKey } from './precedence.js';
