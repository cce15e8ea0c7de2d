import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NGINX_BIN, nginxAvailable, nginxConfig } from '../baselines/nginx-config.js';
import type { BenchPaths } from './bench-paths.js';
import type { BenchEtcd } from './etcd-server.js';
import { freePort } from './free-port.js';
import { getOnce } from './http-get.js';
import { startReadyJunction, type JunctionProc } from './junction-process.js';
import { startNodeChild, type NodeChild } from './node-child.js';
import type { ProcessGroup } from './process-group.js';
import { pollUntil } from './time.js';
import { probeWorkers } from './workers-probe.js';

/** Scenario ids the report looks up (the references are in throughput-report.ts). */
export const JUNCTION_ID = 'junction';
export const WORKERS_ID = 'junction-workers-2';
const WORKERS = 2;

/** What every throughput scenario needs. */
export interface ScenarioContext {
  readonly group: ProcessGroup;
  readonly paths: BenchPaths;
  readonly upstream: NodeChild;
  /** etcd with the bench configuration under /junction (started on first use) */
  etcd(): Promise<BenchEtcd>;
}

/** A proxy (or the upstream itself) ready to take load. */
export interface Target {
  readonly url: string;
  /** processes whose CPU time is measured (descendants included) */
  readonly pids: readonly number[];
  /** a line about the run, read after the load (e.g. access log size) */
  note(): string;
  stop(): Promise<void>;
}

export interface Scenario {
  readonly id: string;
  readonly label: string;
  readonly what: string;
  /** Junction itself (highlighted in the chart) rather than a baseline */
  readonly junction?: boolean;
  /** why autocannon's latency figures are not meaningful for this scenario (shown as n/a) */
  readonly latencyCaveat?: string;
  /** undefined when runnable, else why it is skipped (may probe, e.g. whether a flag is available) */
  skipReason(ctx: ScenarioContext): string | undefined | Promise<string | undefined>;
  start(ctx: ScenarioContext): Promise<Target>;
}

function childTarget(ctx: ScenarioContext, child: NodeChild, note = ''): Target {
  return { url: child.url, pids: [child.managed.pid], note: () => note, stop: () => ctx.group.stop(child.managed, 3000) };
}

function junctionTarget(ctx: ScenarioContext, j: JunctionProc, accessLog: boolean, extra = ''): Target {
  return {
    url: j.url,
    pids: [j.managed.pid],
    note: () => `${accessLog ? `access log ${(j.logBytes() / 2 ** 20).toFixed(1)} MiB to a file` : 'access log off'}${extra}`,
    stop: () => ctx.group.stop(j.managed, 10_000),
  };
}

async function startJunctionScenario(ctx: ScenarioContext, name: string, accessLog: boolean): Promise<Target> {
  const etcd = await ctx.etcd();
  const j = await startReadyJunction(ctx.group, ctx.paths, {
    name,
    etcd: etcd.endpoint,
    accessLog: accessLog ? 'file' : 'off',
    core: ctx.group.pinning.proxyCore,
  });
  return junctionTarget(ctx, j, accessLog);
}

/** Junction with --workers N on every core (not pinned: the workers use both cores, beside the load side). */
async function startJunctionWorkers(ctx: ScenarioContext): Promise<Target> {
  const etcd = await ctx.etcd();
  const j = await startReadyJunction(ctx.group, ctx.paths, { name: WORKERS_ID, etcd: etcd.endpoint, accessLog: 'file', core: 'all', workers: WORKERS });
  return junctionTarget(ctx, j, true, `, ${WORKERS} workers on all cores (CPU: every process of the tree)`);
}

function nodeChildScenario(ctx: ScenarioContext, name: string, rel: string, args: readonly string[]): Promise<Target> {
  return startNodeChild(ctx.group, ctx.paths, name, rel, ['--target', ctx.upstream.url, ...args], ctx.group.pinning.proxyCore).then((c) => childTarget(ctx, c));
}

async function startNginx(ctx: ScenarioContext): Promise<Target> {
  const prefix = ctx.group.tempDir('nginx');
  const port = await freePort();
  for (const d of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(prefix, d));
  const conf = join(prefix, 'nginx.conf');
  const accessLog = join(prefix, 'access.log');
  writeFileSync(conf, nginxConfig({ prefix, listenPort: port, upstream: new URL(ctx.upstream.url).host, accessLog }));
  const m = ctx.group.spawn('nginx', NGINX_BIN, ['-e', join(prefix, 'error.log'), '-p', prefix, '-c', conf], {
    core: ctx.group.pinning.proxyCore,
    stdout: 'capture',
    stderr: 'capture',
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await pollUntil(
      'nginx',
      async () => {
        if (!m.running()) throw new Error(`nginx exited:\n${m.output()}`);
        return (await getOnce(`${url}/`)).status === 200 ? true : undefined;
      },
      10_000,
      50,
    );
  } catch (err) {
    await ctx.group.stop(m, 2000);
    throw err;
  }
  return { url, pids: [m.pid], note: () => 'access log on, to a file', stop: () => ctx.group.stop(m, 5000) };
}

/** The throughput scenarios, in the order they run. */
export function throughputScenarios(): Scenario[] {
  const always = () => undefined;
  return [
    {
      id: 'direct',
      label: 'direct (no proxy)',
      what: 'load generator straight to the upstream: the ceiling of the load core, not a proxy',
      skipReason: always,
      start: async (ctx) => ({ url: ctx.upstream.url, pids: [ctx.upstream.managed.pid], note: () => 'reference only', stop: async () => undefined }),
    },
    {
      id: 'http-proxy-3',
      label: 'http-proxy-3 (keep-alive)',
      what: 'createProxyServer({ target, agent: new http.Agent({ keepAlive: true }) }), nothing else',
      skipReason: always,
      start: (ctx) => nodeChildScenario(ctx, 'http-proxy-3', 'baselines/http-proxy-3-forwarder.js', ['--agent', 'keepalive']),
    },
    {
      id: 'undici',
      label: 'undici Pool.dispatch',
      what: 'one undici Pool, pool.dispatch, hop-by-hop headers stripped both ways, nothing else',
      skipReason: always,
      start: (ctx) => nodeChildScenario(ctx, 'undici-forwarder', 'baselines/undici-forwarder.js', []),
    },
    {
      id: 'reply-from',
      label: '@fastify/reply-from',
      what: "fastify (logger off), one catch-all route doing reply.from(upstream + url) with @fastify/reply-from's defaults: its undici client, keep-alive",
      skipReason: always,
      start: (ctx) => nodeChildScenario(ctx, 'reply-from', 'baselines/reply-from-forwarder.js', []),
    },
    {
      id: JUNCTION_ID,
      label: 'Junction',
      what: 'junction serve on etcd: routing, metrics, access log on (JSON lines to a file)',
      junction: true,
      skipReason: always,
      start: (ctx) => startJunctionScenario(ctx, 'throughput', true),
    },
    {
      id: 'junction-no-log',
      label: 'Junction, access log off',
      what: 'the same Junction with --access-log off (shows the access log cost)',
      junction: true,
      skipReason: always,
      start: (ctx) => startJunctionScenario(ctx, 'throughput-nolog', false),
    },
    {
      id: WORKERS_ID,
      label: `Junction --workers ${WORKERS}`,
      what: `the full Junction (access log on) with --workers ${WORKERS}, not pinned: its processes may use every core, which the load generator, upstream and etcd share`,
      junction: true,
      skipReason: (ctx) => probeWorkers(ctx.group, ctx.paths, WORKERS),
      start: startJunctionWorkers,
    },
    {
      id: 'nginx',
      label: 'nginx (keepalive upstream)',
      what: 'nginx, worker_processes 1, proxy_pass to an upstream{} with keepalive 128, access log on to a file',
      skipReason: () => (nginxAvailable() ? undefined : `${NGINX_BIN} not found`),
      start: startNginx,
    },
    {
      id: 'http-proxy-3-no-agent',
      label: 'http-proxy-3 (agent: false)',
      what: "http-proxy-3's default: a new upstream connection per request (runs last: it leaves TIME_WAIT sockets)",
      latencyCaveat:
        'it passes the upstream\'s Connection: close to the client, so every request reconnects; autocannon\'s latency then counts its reconnect bookkeeping (wrk shows ~25 ms p50 at the same rate)',
      skipReason: always,
      start: (ctx) => nodeChildScenario(ctx, 'http-proxy-3-no-agent', 'baselines/http-proxy-3-forwarder.js', ['--agent', 'none']),
    },
  ];
}
