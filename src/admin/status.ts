import type { GuardState } from '../canary/guard-registry.js';
import type { ServerState } from '../config/schema/backend.js';
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
  /** the health of every server that takes primary traffic (`HealthRegistry.states()`) */
  readonly servers: readonly ServerHealthState[];
  /** loaded filter modules and the files that failed to load */
  readonly filterModules: {
    readonly modules: ReadonlyArray<{ type: string; file: string; version: string }>;
    readonly errors: readonly ModuleError[];
  };
}

/** One server's health as `ServerHealth.state()` reports it. */
export interface ServerHealthState {
  readonly backend: string;
  readonly server: string;
  readonly url: string;
  readonly healthy: boolean;
  readonly breaker: string;
  readonly ejected: boolean;
  readonly activeCheck: { readonly healthy: boolean; readonly lastError: string | null } | null;
}

/** A row of the status's `servers`: a configured server, its state, and its health where it has one. */
export interface ServerStatus {
  readonly backend: string;
  readonly server: string;
  readonly url: string;
  readonly state: ServerState;
  /** null: nothing tracks its health (draining, or a backend no route sends primary traffic to) */
  readonly healthy: boolean | null;
  readonly breaker: string | null;
  readonly ejected: boolean | null;
  readonly activeCheck: ServerHealthState['activeCheck'];
}

/**
 * The status's `servers`: every server of the snapshot that is not `disabled` (the servers this
 * instance holds a connection pool for, as `junction server BACKEND list` shows them), with its
 * `state`, merged with its health state. Only active servers of routed backends have one: a
 * draining server keeps its pool but is out of the balancer, so it is listed with `state:
 * "draining"` and null health rather than left out. A health state whose server the snapshot no
 * longer has (a swap in progress) is still listed, as the active server it was.
 */
export function serverStatuses(snapshot: ConfigSnapshot | undefined, health: readonly ServerHealthState[]): ServerStatus[] {
  const key = (backend: string, server: string, url: string) => `${backend}\u0000${server}\u0000${url}`;
  const byKey = new Map(health.map((h) => [key(h.backend, h.server, h.url), h]));
  const out: ServerStatus[] = [];
  for (const b of snapshot?.backends.values() ?? []) {
    for (const s of b.servers) {
      if (s.state === 'disabled') continue;
      const k = key(b.id, s.id, s.url);
      const h = byKey.get(k);
      byKey.delete(k);
      out.push({
        backend: b.id,
        server: s.id,
        url: s.url,
        state: s.state,
        healthy: h?.healthy ?? null,
        breaker: h?.breaker ?? null,
        ejected: h?.ejected ?? null,
        activeCheck: h?.activeCheck ?? null,
      });
    }
  }
  for (const h of byKey.values()) out.push({ ...h, state: 'active' });
  return out.sort((a, b) => (a.backend === b.backend ? cmp(a.server, b.server) : cmp(a.backend, b.backend)));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A certificate with fewer days than this before its leaf expires carries a `warning` in the status. */
export const CERT_WARNING_DAYS = 14;

const DAY_MS = 86_400_000;

/** A row of the status's `certs`: a serving certificate and how long it has left. */
export interface CertStatus {
  readonly id: string;
  readonly sans: readonly string[];
  readonly default: boolean;
  readonly notAfter: string;
  /** whole days left (negative once expired) */
  readonly expiresInDays: number;
  /** present when fewer than CERT_WARNING_DAYS days are left */
  readonly warning?: string;
}

/** The status's `certs`: every certificate the snapshot serves, soonest expiry first (then by id). */
export function certStatuses(snapshot: ConfigSnapshot | undefined, now: number): CertStatus[] {
  const rows: Array<CertStatus & { readonly left: number }> = [];
  for (const c of snapshot?.certs.values() ?? []) {
    const left = Date.parse(c.notAfter) - now;
    const days = Math.floor(left / DAY_MS);
    const warning =
      left <= 0
        ? `expired on ${c.notAfter}: clients refuse it; put a new certificate`
        : left < CERT_WARNING_DAYS * DAY_MS
          ? `expires in ${days === 0 ? 'less than a day' : `${days} day${days === 1 ? '' : 's'}`} (${c.notAfter}): put its successor`
          : undefined;
    rows.push({ id: c.id, sans: c.sans, default: c.default, notAfter: c.notAfter, expiresInDays: days, ...(warning ? { warning } : {}), left });
  }
  rows.sort((a, b) => a.left - b.left || cmp(a.id, b.id));
  return rows.map(({ left: _left, ...row }) => row);
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
      // why the store is stale: a message, and its code (store_unavailable, store_unauthorized, store_forbidden)
      ...(s.storeHealth.error ? { error: s.storeHealth.error, ...(s.storeHealth.errorCode ? { errorCode: s.storeHealth.errorCode } : {}) } : {}),
    },
    filters: { modules: s.filterModules.modules, errors: s.filterModules.errors },
    servers: serverStatuses(snap, s.servers),
    canary: { guards: s.guards },
    tee: s.tees,
    certs: certStatuses(snap, s.now),
    counts: {
      routes: snap?.routes.size ?? 0,
      backends: snap?.backends.size ?? 0,
      servers: [...(snap?.backends.values() ?? [])].reduce((n, b) => n + b.servers.length, 0),
      filters: snap?.filters.size ?? 0,
      certs: snap?.certs.size ?? 0,
    },
  };
}

/** The InstanceStatus (docs/operations.md), written under `P/status/<instance>` with a lease. */
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
