/**
 * The three proxies the bad-input probe compares, each in front of the same recording upstream,
 * each restartable: a case that kills or wedges a proxy must not spoil the cases after it.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { haproxyAvailable, haproxyProbeConfig, HAPROXY_BIN } from '../baselines/haproxy-probe-config.js';
import { nginxAvailable, NGINX_BIN } from '../baselines/nginx-config.js';
import { nginxProbeConfig } from '../baselines/nginx-probe-config.js';
import type { BenchPaths } from './bench-paths.js';
import { startHaproxyWith } from './haproxy-process.js';
import { getOnce } from './http-get.js';
import { startReadyJunction } from './junction-process.js';
import { configureJunctionProbe } from './junction-probe-config.js';
import { startNginxWith } from './nginx-process.js';
import type { Managed, ProcessGroup } from './process-group.js';
import { within } from './time.js';

export type ProxyName = 'Junction' | 'nginx' | 'HAProxy';
export const PROXY_NAMES: readonly ProxyName[] = ['Junction', 'nginx', 'HAProxy'];

interface Started {
  readonly managed: Managed;
  readonly port: number;
}

export class ProbeProxy {
  #current: Started | undefined;
  #restarts = 0;

  constructor(
    readonly name: ProxyName,
    readonly version: string,
    readonly notes: string[],
    private readonly group: ProcessGroup,
    private readonly start: () => Promise<Started>,
  ) {}

  get port(): number {
    if (!this.#current) throw new Error(`${this.name} is not running`);
    return this.#current.port;
  }

  get restarts(): number {
    return this.#restarts;
  }

  /** Starts it, then sends one request through it (the first proxied request warms pools and JIT). */
  async up(): Promise<void> {
    this.#current = await this.start();
    if (!(await this.healthy())) throw new Error(`${this.name} started but does not answer GET / with 200`);
  }

  /** Alive and answering `GET /` with 200 within 3 s. */
  async healthy(): Promise<boolean> {
    const c = this.#current;
    if (!c?.managed.running()) return false;
    try {
      return (await within(getOnce(`http://127.0.0.1:${c.port}/`), 3000, `${this.name} GET /`)).status === 200;
    } catch {
      return false;
    }
  }

  /** Stops it by PID (if still there) and starts a fresh one (new port). */
  async restart(): Promise<void> {
    if (this.#current) await this.group.stop(this.#current.managed, 2000);
    this.#restarts++;
    await this.up();
  }
}

function firstLine(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 5000 });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n')[0]?.trim() ?? '';
}

function junctionVersion(bin: string): string {
  const v = firstLine(process.execPath, [bin, '--version']);
  const repo = join(dirname(bin), '..');
  const rev = firstLine('git', ['-C', repo, 'rev-parse', '--short', 'HEAD']);
  const dirty = firstLine('git', ['-C', repo, 'status', '--porcelain', '--untracked-files=no']) !== '';
  return `${v}${/^[0-9a-f]{7,}$/.test(rev) ? ` (${rev}${dirty ? ', uncommitted changes' : ''})` : ''}`;
}

/** Junction, nginx and HAProxy, those installed, not yet started. */
export function probeProxies(group: ProcessGroup, paths: BenchPaths, upstream: string): { proxies: ProbeProxy[]; skipped: string[] } {
  const proxies: ProbeProxy[] = [];
  const skipped: string[] = [];
  const junctionNotes: string[] = [];
  proxies.push(
    new ProbeProxy('Junction', junctionVersion(paths.junctionBin), junctionNotes, group, async () => {
      const j = await startReadyJunction(group, paths, { name: 'probe', accessLog: 'off' });
      const setup = await configureJunctionProbe(j.adminUrl, upstream);
      junctionNotes.splice(0, junctionNotes.length, `backend timeouts ${JSON.stringify(setup.timeouts)}`, ...setup.notes);
      return { managed: j.managed, port: Number(new URL(j.url).port) };
    }),
  );
  if (nginxAvailable()) {
    proxies.push(
      new ProbeProxy('nginx', firstLine(NGINX_BIN, ['-v']).replace(/^nginx version: /, ''), [], group, async () => {
        const n = await startNginxWith(group, 'nginx-probe', 0, (prefix, listenPort) => nginxProbeConfig({ prefix, listenPort, upstream }));
        return { managed: n.managed, port: Number(new URL(n.url).port) };
      }),
    );
  } else skipped.push(`nginx: not found at ${NGINX_BIN} (BENCH_NGINX_BIN)`);
  if (haproxyAvailable()) {
    proxies.push(
      new ProbeProxy('HAProxy', firstLine(HAPROXY_BIN, ['-v']).replace(/^HAProxy version (\S+).*/, 'HAProxy $1'), [], group, async () => {
        const h = await startHaproxyWith(group, 'haproxy-probe', (listenPort) => haproxyProbeConfig({ listenPort, upstream }));
        return { managed: h.managed, port: h.port };
      }),
    );
  } else skipped.push(`HAProxy: not found at ${HAPROXY_BIN} (BENCH_HAPROXY_BIN)`);
  return { proxies, skipped };
}
