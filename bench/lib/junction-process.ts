import { closeSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchPaths } from './bench-paths.js';
import { freePort } from './free-port.js';
import { Poller } from './http-get.js';
import type { CoreChoice } from './pinning.js';
import type { Managed, ProcessGroup } from './process-group.js';
import { pollUntil } from './time.js';

export interface JunctionOptions {
  readonly name: string;
  /** etcd endpoints; absent: the embedded store, in a data dir under the temp dir */
  readonly etcd?: string;
  readonly prefix?: string;
  /**
   * 'file': access log on, JSON lines appended to a file in a temp dir (stdout redirected there;
   * --log-level info, because access lines are info records of the process logger);
   * 'off': --access-log off --log-level warn.
   */
  readonly accessLog: 'file' | 'off';
  readonly core?: CoreChoice;
  /** `--workers N` (omitted: the flag is not passed, one process) */
  readonly workers?: number;
  /** run under `node --cpu-prof` writing the profile into this directory on exit */
  readonly cpuProfDir?: string;
  /** also open the TLS listener (`--listen-tls 127.0.0.1:<free port>`), at `tlsUrl` */
  readonly listenTls?: boolean;
}

export interface JunctionProc {
  readonly managed: Managed;
  readonly url: string;
  readonly adminUrl: string;
  /** `https://127.0.0.1:<port>` of the TLS listener, with `listenTls` */
  readonly tlsUrl: string | undefined;
  /** performance.now() right before the spawn */
  readonly spawnedAt: number;
  /** the file that receives stdout (access log and other log lines) */
  readonly logFile: string;
  /** bytes written to the log file so far */
  logBytes(): number;
}

export async function startJunctionProcess(group: ProcessGroup, paths: BenchPaths, opts: JunctionOptions): Promise<JunctionProc> {
  const dir = group.tempDir(`junction-${opts.name}`);
  const logFile = join(dir, opts.accessLog === 'file' ? 'access.log' : 'junction.log');
  const [listenPort, adminPort] = [await freePort(), await freePort()];
  const tlsPort = opts.listenTls ? await freePort() : undefined;
  const args = [
    ...(opts.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', opts.cpuProfDir] : []),
    paths.junctionBin,
    'serve',
    ...(opts.etcd === undefined ? ['--data-dir', join(dir, 'data')] : ['--etcd', opts.etcd]),
    '--prefix', opts.prefix ?? '/junction',
    '--listen', `127.0.0.1:${listenPort}`,
    ...(tlsPort === undefined ? [] : ['--listen-tls', `127.0.0.1:${tlsPort}`]),
    '--admin', `127.0.0.1:${adminPort}`,
    '--instance-id', `bench-${opts.name}`,
    '--access-log', opts.accessLog === 'file' ? 'on' : 'off',
    '--log-level', opts.accessLog === 'file' ? 'info' : 'warn',
    ...(opts.workers === undefined ? [] : ['--workers', String(opts.workers)]),
  ];
  const fd = openSync(logFile, 'w');
  const spawnedAt = performance.now();
  let managed: Managed;
  try {
    managed = group.spawn(`junction:${opts.name}`, process.execPath, args, { core: opts.core, stdout: fd, stderr: 'capture', cwd: paths.repo });
  } finally {
    closeSync(fd);
  }
  return {
    managed,
    url: `http://127.0.0.1:${listenPort}`,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    tlsUrl: tlsPort === undefined ? undefined : `https://127.0.0.1:${tlsPort}`,
    spawnedAt,
    logFile,
    logBytes: () => {
      try {
        return statSync(logFile).size;
      } catch {
        return 0;
      }
    },
  };
}

/** Polls an admin path until it answers 200; returns performance.now() at that moment. */
export async function waitAdmin(j: JunctionProc, path: '/healthz' | '/readyz', timeoutMs = 30_000, everyMs = 2): Promise<number> {
  const poller = new Poller(j.adminUrl);
  try {
    return await pollUntil(
      `${j.managed.name} ${path}`,
      async () => {
        if (!j.managed.running()) throw new Error(`${j.managed.name} exited:\n${j.managed.output()}`);
        const r = await poller.get(path);
        return r.status === 200 ? performance.now() : undefined;
      },
      timeoutMs,
      everyMs,
    );
  } catch (err) {
    const out = j.managed.output().trim();
    throw new Error(`${err instanceof Error ? err.message : String(err)}${out ? `\n${j.managed.name} stderr:\n${out}` : ''}`);
  } finally {
    await poller.close();
  }
}

export interface StatusDoc {
  readonly revision: number;
  readonly startedAt?: string;
  readonly appliedAt?: string;
  readonly errors?: readonly unknown[];
  readonly counts?: Record<string, number>;
}

export async function junctionStatus(poller: Poller): Promise<StatusDoc> {
  const r = await poller.get('/api/v1/status');
  if (r.status !== 200) throw new Error(`/api/v1/status answered ${r.status}`);
  return JSON.parse(r.body) as StatusDoc;
}

/** Starts Junction and waits for /readyz (a first configuration applied). */
export async function startReadyJunction(group: ProcessGroup, paths: BenchPaths, opts: JunctionOptions): Promise<JunctionProc> {
  const j = await startJunctionProcess(group, paths, opts);
  try {
    await waitAdmin(j, '/readyz', 30_000, 20);
    return j;
  } catch (err) {
    await group.stop(j.managed, 2000);
    throw err;
  }
}
