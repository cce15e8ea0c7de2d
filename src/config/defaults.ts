import type { BackendSpec } from './schema/backend.js';
import type { TeeSpec } from './schema/route.js';

/** The documents' defaults (docs/configuration.md), applied when a field is absent. */
export const BACKEND_DEFAULTS = {
  balancer: 'round-robin',
  timeouts: { connectMs: 2000, headersMs: 30_000, idleMs: 60_000, bodyMs: 30_000 },
  maxConnectionsPerServer: 128,
  healthCheck: { intervalMs: 2000, timeoutMs: 1000, healthy: 2, unhealthy: 3 },
  breaker: { errorThresholdPercentage: 50, volumeThreshold: 20, resetTimeoutMs: 10_000, windowMs: 10_000 },
  retry: { attempts: 1, on: ['connect'] as readonly string[], budgetPercent: 20 },
  serverWeight: 1,
} as const;

export const TEE_DEFAULTS = {
  percent: 100,
  methods: ['GET', 'HEAD'] as readonly string[],
  maxBodyBytes: 1_048_576,
  maxInFlight: 256,
  maxRps: 0,
  timeoutMs: 5000,
  compare: false,
  compareHeaders: ['content-type'] as readonly string[],
} as const;

export interface ResolvedTimeouts {
  readonly connectMs: number;
  readonly headersMs: number;
  readonly idleMs: number;
  /** longest silence of a request body being uploaded */
  readonly bodyMs: number;
}

export interface ResolvedBreaker {
  readonly errorThresholdPercentage: number;
  readonly volumeThreshold: number;
  readonly resetTimeoutMs: number;
  readonly windowMs: number;
}

export interface ResolvedRetry {
  readonly attempts: number;
  readonly on: readonly string[];
  readonly budgetPercent: number;
}

export interface ResolvedHealthCheck {
  readonly path: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly healthy: number;
  readonly unhealthy: number;
}

export function resolveTimeouts(spec: BackendSpec): ResolvedTimeouts {
  return { ...BACKEND_DEFAULTS.timeouts, ...spec.timeouts };
}

export function resolveBreaker(spec: BackendSpec): ResolvedBreaker {
  return { ...BACKEND_DEFAULTS.breaker, ...spec.breaker };
}

export function resolveRetry(spec: BackendSpec): ResolvedRetry {
  return { ...BACKEND_DEFAULTS.retry, ...spec.retry };
}

export function resolveHealthCheck(spec: BackendSpec): ResolvedHealthCheck | undefined {
  return spec.healthCheck ? { ...BACKEND_DEFAULTS.healthCheck, ...spec.healthCheck } : undefined;
}

export type ResolvedTee = Required<Omit<TeeSpec, 'sampleKey' | 'headers'>> & Pick<TeeSpec, 'sampleKey' | 'headers'>;

export function resolveTee(spec: TeeSpec): ResolvedTee {
  return { ...TEE_DEFAULTS, ...spec } as ResolvedTee;
}
