import { rssMiB } from './cpu-usage.js';
import type { BenchPaths } from './bench-paths.js';
import type { BenchEtcd } from './etcd-server.js';
import { Poller } from './http-get.js';
import { junctionStatus, startJunctionProcess, waitAdmin, type JunctionProc } from './junction-process.js';
import type { ProcessGroup } from './process-group.js';
import { requestMix } from './route-set.js';
import { summarize } from './stats.js';
import { int, ms } from './table.js';
import { pollUntil, sleep } from './time.js';

/** single-route puts timed per configuration size */
export const APPLY_ITERATIONS = 40;
/**
 * Unmeasured puts first, like the throughput bench's warm-up: the first few incremental applies
 * after a load run cold (not yet optimized by the JIT) and took 40 ms where later ones take 7–12;
 * their put -> served times are printed on their own line.
 */
export const APPLY_WARMUP = 5;
const IDLE_PROBE_MS = 3000;

/** One Junction started on a routes configuration, with its load timings. */
export interface Loaded {
  readonly routes: number;
  readonly prefix: string;
  readonly j: JunctionProc;
  /** spawn -> /healthz 200, ms */
  readonly listeningMs: number;
  /** spawn -> /readyz 200, ms */
  readonly readyMs: number;
  /** Junction's startedAt -> appliedAt, ms */
  readonly internalLoadMs: number | undefined;
  readonly rssMiB: number | undefined;
  readonly counts: Record<string, number> | undefined;
  /** applied revisions per second while nobody writes (should be 0) */
  readonly idleRevisionsPerS: number;
}


/** Starts Junction on `prefix` and times spawn -> listening -> ready. */
export async function loadJunction(group: ProcessGroup, paths: BenchPaths, etcd: BenchEtcd, routes: number, prefix: string): Promise<Loaded> {
  const j = await startJunctionProcess(group, paths, { name: `routes-${routes}`, etcd: etcd.endpoint, prefix, accessLog: 'off', core: group.pinning.proxyCore });
  const listening = await waitAdmin(j, '/healthz', 30_000, 2);
  const ready = await waitAdmin(j, '/readyz', 30_000, 2);
  const admin = new Poller(j.adminUrl);
  try {
    const st = await junctionStatus(admin);
    const internal = st.startedAt && st.appliedAt ? Date.parse(st.appliedAt) - Date.parse(st.startedAt) : undefined;
    await sleep(IDLE_PROBE_MS);
    const idleRevisionsPerS = Math.round((((await junctionStatus(admin)).revision - st.revision) / (IDLE_PROBE_MS / 1000)) * 10) / 10;
    const loaded: Loaded = {
      routes,
      prefix,
      j,
      listeningMs: Math.round(listening - j.spawnedAt),
      readyMs: Math.round(ready - j.spawnedAt),
      internalLoadMs: internal,
      rssMiB: rssMiB(j.managed.pid),
      counts: st.counts,
      idleRevisionsPerS,
    };
    process.stdout.write(
      `  ${int(routes)} routes: listening ${loaded.listeningMs} ms, ready ${loaded.readyMs} ms after spawn` +
        `${internal === undefined ? '' : ` (startedAt -> appliedAt ${internal} ms)`}, RSS ${loaded.rssMiB ?? '?'} MiB, counts ${JSON.stringify(st.counts)}\n`,
    );
    if (idleRevisionsPerS > 0) {
      process.stdout.write(`  note: ${idleRevisionsPerS} revisions/s applied while nothing was written (a write loop: e.g. the instance's own status key re-applied)\n`);
    }
    if ((st.counts?.['routes'] ?? routes) < routes) throw new Error(`only ${st.counts?.['routes']} of ${routes} routes active: ${JSON.stringify(st.errors?.slice(0, 3))}`);
    return loaded;
  } finally {
    await admin.close();
  }
}

/**
 * Single-route puts, alternating two measurements so neither disturbs the other: put response ->
 * the new route answers through the proxy (served; only the proxy is polled), and put response ->
 * /api/v1/status shows the revision (applied; only the status is polled — at 5,000 servers that
 * document is large, so polling it every millisecond also loads Junction).
 */
export async function applyLatency(etcd: BenchEtcd, l: Loaded): Promise<{ applied: number[]; served: number[] }> {
  const admin = new Poller(l.j.adminUrl);
  const proxy = new Poller(l.j.url);
  const applied: number[] = [];
  const served: number[] = [];
  const cold: number[] = [];
  try {
    for (let k = -APPLY_WARMUP; k < APPLY_ITERATIONS; k++) {
      const path = `/added/${k}`;
      const rev = await etcd.putJson(`${l.prefix}/routes/added-${k}`, { match: { host: 'added.bench.test', path }, backend: 'b0' });
      const t0 = performance.now();
      if (k < 0 || k % 2 === 0) {
        const t2 = await pollUntil(`${path} served`, async () => ((await proxy.get(path, { host: 'added.bench.test' })).status === 200 ? performance.now() : undefined), 10_000, 0);
        (k < 0 ? cold : served).push(t2 - t0);
      } else {
        const t1 = await pollUntil(`revision ${rev}`, async () => ((await junctionStatus(admin)).revision >= rev ? performance.now() : undefined), 10_000, 1);
        applied.push(t1 - t0);
      }
      await sleep(20);
    }
  } finally {
    await admin.close();
    await proxy.close();
  }
  const a = summarize(applied);
  const s = summarize(served);
  process.stdout.write(`  ${int(l.routes)} routes: the first ${APPLY_WARMUP} changes after the load (warm-up, not in the figures): put -> served ${cold.map((x) => ms(x)).join(', ')} ms\n`);
  process.stdout.write(
    `  ${int(l.routes)} routes: put -> applied p50 ${ms(a.p50)} / p99 ${ms(a.p99)} / max ${ms(a.max)} ms; put -> served p50 ${ms(s.p50)} / p99 ${ms(s.p99)} / max ${ms(s.max)} ms\n`,
  );
  return { applied, served };
}

/** Every request of the mix must answer 200 before the load. */
export async function checkMix(l: Loaded): Promise<void> {
  const proxy = new Poller(l.j.url);
  try {
    for (const r of requestMix(l.routes)) {
      const res = await proxy.get(r.path, r.headers);
      if (res.status !== 200) throw new Error(`${l.routes} routes: ${r.headers?.['host']}${r.path} answered ${res.status} ${res.body.slice(0, 200)}`);
    }
  } finally {
    await proxy.close();
  }
}
