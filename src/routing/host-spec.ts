/** How a route's `match.host` is indexed. */
export const HostKind = { any: 0, wildcard: 1, exact: 2 } as const;
export type HostKind = (typeof HostKind)[keyof typeof HostKind];

export interface HostSpec {
  readonly kind: HostKind;
  /**
   * The lookup key, lower-case: the host for `exact` (`api.example.com`), the suffix with its
   * leading dot for `wildcard` (`.example.com`); `:port` kept when the spec has one. '' for any.
   */
  readonly key: string;
  /** the spec names a port: it is compared against the request's Host with its port */
  readonly hasPort: boolean;
  /** the length of the spec as written (`*.example.com` is 13); 0 for any host */
  readonly length: number;
}

const ANY_HOST: HostSpec = Object.freeze({ kind: HostKind.any, key: '', hasPort: false, length: 0 });

/** Reads a validated `match.host` (`api.example.com`, `*.example.com`, either with `:port`). */
export function parseHostSpec(host: string | undefined): HostSpec {
  if (host === undefined) return ANY_HOST;
  const lower = host.toLowerCase();
  const hasPort = lower.includes(':');
  if (lower.startsWith('*.')) {
    return { kind: HostKind.wildcard, key: lower.slice(1), hasPort, length: lower.length };
  }
  return { kind: HostKind.exact, key: lower, hasPort, length: lower.length };
}
