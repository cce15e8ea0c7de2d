import type { GuardState } from '../canary/guard-registry.js';
import type { ConfigSnapshot } from '../config/snapshot.js';
import type { ModuleError } from '../filters/module-registry.js';
import type { StoreHealth } from '../config/store/types.js';

export interface StatusInputs {
  readonly instance: string;
  readonly version: string;
  readonly storeKind: 'etcd' | 'embedded';
  readonly storeHealth: StoreHealth;
  readonly snapshot: ConfigSnapshot | undefined;
  readonly ready: boolean;
  readonly draining: boolean;
  readonly startedAt: string;
  readonly now: number;
  /** canary guards of split routes (tripped or not) */
  readonly guards: readonly GuardState[];
  /** the fidelity report of every tee */
  readonly tees: readonly unknown[];
  /** every primary server's health: breaker state, checks, ejection */
  readonly servers: readonly unknown[];
  /** loaded filter modules and the files that failed to load */
  readonly filterModules: {
    readonly modules: ReadonlyArray<{ type: string; file: string; version: string }>;
    readonly errors: readonly ModuleError[];
  };
}

/** Seconds since the store was last reached, 0 while it is connected. */
export function stalenessSeconds(health: StoreHealth, now: number): number {
  return health.connected ? 0 : Math.max(0, (now - health.lastContactAt) / 1000);
}

/** The `GET /api/v1/status` document (a superset of the InstanceStatus written to the store). */
export function statusDocument(s: StatusInputs) {
  const snap = s.snapshot;
  return {
    ...instanceStatus({ ...s, moduleErrors: s.filterModules.errors }),
    ready: s.ready,
    draining: s.draining,
    startedAt: s.startedAt,
    store: {
      kind: s.storeKind,
      connected: s.storeHealth.connected,
      lastContactAt: new Date(s.storeHealth.lastContactAt).toISOString(),
      stalenessSeconds: stalenessSeconds(s.storeHealth, s.now),
      stale: !s.storeHealth.connected,
      ...(s.storeHealth.error ? { error: s.storeHealth.error } : {}),
    },
    filters: { modules: s.filterModules.modules, errors: s.filterModules.errors },
    servers: s.servers,
    canary: { guards: s.guards },
    tee: s.tees,
    counts: {
      routes: snap?.routes.size ?? 0,
      backends: snap?.backends.size ?? 0,
      servers: [...(snap?.backends.values() ?? [])].reduce((n, b) => n + b.servers.length, 0),
      filters: snap?.filters.size ?? 0,
    },
  };
}

/** SPEC §2 InstanceStatus, written under `P/status/<instance>` with a lease. */
export function instanceStatus(s: Pick<StatusInputs, 'instance' | 'version' | 'snapshot'> & { moduleErrors?: readonly ModuleError[] }) {
  const snap = s.snapshot;
  return {
    instance: s.instance,
    version: s.version,
    revision: snap?.revision ?? 0,
    appliedAt: snap?.appliedAt ?? null,
    errors: [
      ...(snap?.issues ?? []).map((i) => ({
        key: i.key,
        ...(i.field === undefined ? {} : { field: i.field }),
        code: i.code,
        message: i.message,
        revision: i.revision,
      })),
      // a filter module file that failed to load is named by its path
      ...(s.moduleErrors ?? []).map((e) => ({ key: e.file, code: 'filter_module', message: e.message })),
    ],
  };
}
