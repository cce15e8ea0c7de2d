import { rssMiB } from './cpu-usage.js';
import { request } from 'undici';
import { certConfig } from '../../src/config/cert-config.js';
import type { CertConfig } from '../../src/config/snapshot.js';
import { CertIndex, SecureContexts } from '../../src/tls/cert-index.js';
import type { BenchPaths } from './bench-paths.js';
import type { BenchEtcd } from './etcd-server.js';
import { Poller } from './http-get.js';
import { junctionStatus, startJunctionProcess, waitAdmin, type JunctionProc } from './junction-process.js';
import type { ProcessGroup } from './process-group.js';
import { median } from './rounds.js';
import { summarize, type Summary } from './stats.js';
import { benchName, certSpec, type BenchCert, type BenchCerts } from './tls-certs.js';
import { tlsFingerprint } from './tls-probe.js';
import { int, ms } from './table.js';
import { pollUntil, sleep } from './time.js';

/** The name (and id `rot`) of the certificate the rotation measurement puts again and again. */
export const ROT_NAME = benchName(999_999);

/** A set of certificates `h000000.bench.test`…: leaf `i` serves benchName(i). */
export interface CertSet {
  readonly count: number;
  readonly prefix: string;
  readonly leaves: readonly BenchCert[];
}

/** Mints `count` leaves (ids `h000000`…) and their etcd entries under `prefix`, beside the load certificate (`default`) and the one route. */
export function certSet(mint: BenchCerts, prefix: string, count: number, upstreamUrl: string): { set: CertSet; entries: Array<[string, unknown]> } {
  const leaves: BenchCert[] = [];
  for (let i = 0; i < count; i++) leaves.push(mint.leaf(benchName(i), i));
  const entries: Array<[string, unknown]> = [
    [`${prefix}/backends/up`, { servers: [{ id: 's1', url: upstreamUrl }] }],
    [`${prefix}/routes/main`, { match: { pathPrefix: '/' }, backend: 'up' }],
    [`${prefix}/certs/load`, certSpec(mint.loadCert, true)],
    ...leaves.map((c, i): [string, unknown] => [`${prefix}/certs/${benchName(i).slice(0, 7)}`, certSpec(c)]),
  ];
  return { set: { count, prefix, leaves }, entries };
}

/** `count` names spread evenly over a set (all of them when it has no more). */
export function spreadNames(set: CertSet, count: number): string[] {
  const n = Math.min(count, set.count);
  return Array.from({ length: n }, (_, k) => benchName(Math.floor((k * set.count) / n)));
}

export interface CertLoad {
  /** certificates of the set (the load certificate, `default`, comes on top) */
  readonly certs: number;
  /** certificates Junction serves after the load (`counts.certs` of the status) */
  readonly serving: number;
  /** spawn -> /healthz 200 (process up, listeners bound), ms */
  readonly listeningMs: number;
  /** spawn -> /readyz 200 (the configuration, certificates included, applied), ms: the goal's figure */
  readonly readyMs: number;
  /** Junction's own startedAt -> appliedAt, ms */
  readonly internalMs: number | undefined;
  readonly rssMiB: number | undefined;
  /** handshakes naming certificates of the set that got exactly that certificate (of `checked`) */
  readonly rightCert: number;
  readonly checked: number;
}


/** Starts Junction (TLS listener on) on a set's prefix, times spawn -> listening -> ready, and checks a few handshakes get their certificate. */
export async function startWithCerts(group: ProcessGroup, paths: BenchPaths, etcd: BenchEtcd, set: CertSet, cpuProfDir?: string): Promise<{ j: JunctionProc; load: CertLoad }> {
  const j = await startJunctionProcess(group, paths, {
    name: `tls-certs-${set.count}`,
    etcd: etcd.endpoint,
    prefix: set.prefix,
    accessLog: 'off',
    core: group.pinning.proxyCore,
    listenTls: true,
    ...(cpuProfDir ? { cpuProfDir } : {}),
  });
  try {
    // polled every 5 ms: a tighter poll would load the core Junction loads on
    const listening = await waitAdmin(j, '/healthz', 30_000, 5);
    const ready = await waitAdmin(j, '/readyz', 180_000, 5);
    const admin = new Poller(j.adminUrl);
    let st;
    try {
      st = await junctionStatus(admin);
    } finally {
      await admin.close();
    }
    const tlsUrl = j.tlsUrl ?? '';
    const probe = spreadNames(set, 5);
    let rightCert = 0;
    for (const name of probe) {
      const i = Number(name.slice(1, 7));
      if ((await tlsFingerprint(tlsUrl, name)) === set.leaves[i]?.fingerprint256) rightCert++;
    }
    const load: CertLoad = {
      certs: set.count,
      serving: st.counts?.['certs'] ?? 0,
      listeningMs: Math.round(listening - j.spawnedAt),
      readyMs: Math.round(ready - j.spawnedAt),
      internalMs: st.startedAt && st.appliedAt ? Date.parse(st.appliedAt) - Date.parse(st.startedAt) : undefined,
      rssMiB: rssMiB(j.managed.pid),
      rightCert,
      checked: probe.length,
    };
    process.stdout.write(
      `  ${int(set.count)} certificates: listening ${load.listeningMs} ms, ready ${load.readyMs} ms after spawn` +
        `${load.internalMs === undefined ? '' : ` (startedAt -> appliedAt ${load.internalMs} ms)`}, serving ${int(load.serving)}, RSS ${load.rssMiB ?? '?'} MiB, ` +
        `${rightCert}/${probe.length} handshakes got their certificate\n`,
    );
    if (load.serving < set.count) throw new Error(`only ${load.serving} of ${set.count} certificates serve: ${JSON.stringify(st.errors?.slice(0, 3))}`);
    if (rightCert < probe.length) throw new Error(`${probe.length - rightCert} of ${probe.length} handshakes got another certificate than the one of their name`);
    return { j, load };
  } catch (err) {
    await group.stop(j.managed, 5000);
    throw err;
  }
}

export interface Rotation {
  readonly certs: number;
  /** `admin`: PUT /api/v1/certs/rot; `etcd`: a put of the key straight into the store */
  readonly via: 'admin' | 'etcd';
  /** the write sent -> a handshake naming ROT_NAME gets the new certificate, ms */
  readonly served: Summary;
  /** the write sent -> its response, ms */
  readonly put: Summary;
  /** the unmeasured first writes, ms (write -> served) */
  readonly warmup: readonly number[];
  /** handshakes made while waiting, per write (median) */
  readonly handshakesPerPut: number;
}

/**
 * `iterations` writes of the certificate `rot` (a new leaf for ROT_NAME each time, so a new
 * fingerprint) — through the admin API (`PUT /api/v1/certs/rot`) or straight into etcd — each timed
 * from the moment the write is sent until a fresh TLS handshake naming ROT_NAME shows the new
 * certificate. Handshakes one after another, 2 ms apart: back to back, a full handshake every few
 * ms would load Junction's core and delay the apply it waits for.
 */
export async function rotationLatency(
  j: JunctionProc,
  mint: BenchCerts,
  set: CertSet,
  via: Rotation['via'],
  etcd: BenchEtcd,
  iterations: number,
  warmup: number,
): Promise<Rotation> {
  const tlsUrl = j.tlsUrl ?? '';
  const served: number[] = [];
  const put: number[] = [];
  const cold: number[] = [];
  const probes: number[] = [];
  for (let k = -warmup; k < iterations; k++) {
    const leaf = mint.leaf(ROT_NAME, 1_000_000 + set.count * 10 + (via === 'admin' ? 0 : 5_000) + k + warmup);
    const t0 = performance.now();
    if (via === 'admin') {
      const res = await request(`${j.adminUrl}/api/v1/certs/rot`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(certSpec(leaf)) });
      const text = await res.body.text();
      if (res.statusCode !== 200 && res.statusCode !== 201) throw new Error(`PUT /api/v1/certs/rot answered ${res.statusCode}: ${text.slice(0, 300)}`);
    } else {
      await etcd.putJson(`${set.prefix}/certs/rot`, certSpec(leaf));
    }
    const tPut = performance.now();
    let n = 0;
    const t1 = await pollUntil(
      `the new certificate of ${ROT_NAME} (${via} write ${k})`,
      async () => {
        n++;
        return (await tlsFingerprint(tlsUrl, ROT_NAME)) === leaf.fingerprint256 ? performance.now() : undefined;
      },
      30_000,
      2,
    );
    if (k < 0) cold.push(t1 - t0);
    else {
      served.push(t1 - t0);
      put.push(tPut - t0);
      probes.push(n);
    }
    await sleep(20);
  }
  const r: Rotation = { certs: set.count, via, served: summarize(served), put: summarize(put), warmup: cold.map((x) => Math.round(x * 100) / 100), handshakesPerPut: median(probes) };
  process.stdout.write(
    `  ${int(set.count)} certificates, ${via === 'admin' ? 'PUT /api/v1/certs/rot' : 'etcd put'}: ${warmup ? `first ${warmup} (warm-up) ${cold.map((x) => ms(x)).join(', ')} ms; ` : ''}` +
      `write -> served p50 ${ms(r.served.p50)} / p99 ${ms(r.served.p99)} / max ${ms(r.served.max)} ms (write answered p50 ${ms(r.put.p50)} ms), ${r.handshakesPerPut} handshakes per write\n`,
  );
  return r;
}

export interface PickTiming {
  /** ns per CertIndex.pick, median of the rounds */
  readonly ns: number;
  readonly rounds: readonly number[];
}

export interface SniMicro {
  readonly picksPerRound: number;
  readonly rounds: number;
  /** 10 certificates, their 10 names */
  readonly small: PickTiming;
  /** N certificates, 10 names spread over them */
  readonly largeTen: PickTiming;
  /** N certificates, 1,000 names spread over them */
  readonly largeSpread: PickTiming;
  readonly spreadNames: number;
  readonly largeCerts: number;
  /** ms to build each index (certConfig of every leaf excluded) */
  readonly buildMs: { readonly small: number; readonly large: number };
}

function configsOf(set: CertSet): Map<string, CertConfig> {
  const configs = new Map<string, CertConfig>();
  set.leaves.forEach((c, i) => {
    const id = benchName(i).slice(0, 7);
    configs.set(id, certConfig(id, `/bench/certs/${id}`, 1, certSpec(c)));
  });
  return configs;
}

function indexOf(configs: ReadonlyMap<string, CertConfig>): { index: CertIndex; buildMs: number } {
  const t0 = performance.now();
  const index = CertIndex.build(configs, new SecureContexts());
  return { index, buildMs: Math.round((performance.now() - t0) * 100) / 100 };
}

function nsPerPick(index: CertIndex, names: readonly string[], picks: number): number {
  let found = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < picks; i++) if (index.pick(names[i % names.length]) !== undefined) found++;
  const ns = Number(process.hrtime.bigint() - t0) / picks;
  if (found !== picks) throw new Error(`CertIndex.pick found ${found} of ${picks}`);
  return Math.round(ns * 10) / 10;
}

/**
 * The SNI lookup alone, in this process (dist/src/tls/cert-index.js, the listener's SNICallback
 * body): CertIndex.pick over 10 certificates vs over N, every name's TLS context made before timing
 * (a context is made once per certificate, at its first handshake). Each case has its own index and
 * contexts (the contexts are a WeakMap by certificate: 1,000 of them make every lookup touch more
 * memory). Rounds alternate the three cases; each is the median.
 */
export function sniMicro(small: CertSet, large: CertSet, rounds = 5, picksPerRound = 2_000_000): SniMicro {
  const s = indexOf(configsOf(small));
  const largeConfigs = configsOf(large);
  const l = indexOf(largeConfigs);
  const l2 = indexOf(largeConfigs);
  const cycle = (names: readonly string[]) => Array.from({ length: 1000 }, (_, i) => names[i % names.length] as string);
  const smallNames = cycle(spreadNames(small, 10));
  const largeTen = cycle(spreadNames(large, 10));
  const largeSpread = cycle(spreadNames(large, 1000));
  for (const [index, names] of [[s.index, smallNames], [l.index, largeTen], [l2.index, largeSpread]] as const) nsPerPick(index, names, names.length * 20); // contexts made, code warm
  const runs: [number[], number[], number[]] = [[], [], []];
  for (let r = 0; r < rounds; r++) {
    runs[0].push(nsPerPick(s.index, smallNames, picksPerRound));
    runs[1].push(nsPerPick(l.index, largeTen, picksPerRound));
    runs[2].push(nsPerPick(l2.index, largeSpread, picksPerRound));
  }
  const t = (xs: number[]): PickTiming => ({ ns: Math.round(median(xs) * 10) / 10, rounds: xs });
  return {
    picksPerRound,
    rounds,
    small: t(runs[0]),
    largeTen: t(runs[1]),
    largeSpread: t(runs[2]),
    spreadNames: new Set(largeSpread).size,
    largeCerts: large.count,
    buildMs: { small: s.buildMs, large: l.buildMs },
  };
}
