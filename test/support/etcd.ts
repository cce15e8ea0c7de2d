/**
 * Real etcd processes for integration tests: `etcd` from PATH on free loopback ports with a temp
 * data dir. Nothing is left behind: every process is SIGKILLed when the test process exits, and a
 * tiny shell watchdog per etcd kills it even if the test process itself is SIGKILLed.
 *
 * `startEtcd({ tls })` serves clients over https (with `clientCertAuth`, only to clients with a
 * certificate from the CA); `args` adds etcd flags (e.g. `--auth-token-ttl`). Authentication is
 * enabled the way an operator does it, with `etcdctl` (see test/config/etcd-secure-store.test.ts).
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { constants, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { randomBytes } from 'node:crypto';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error('could not get a free port'))));
    });
  });
}

export interface CertFiles {
  readonly cert: string;
  readonly key: string;
}

/** TLS on etcd's client port (files, as etcd's flags take them). */
export interface EtcdTls {
  /** the CA that signed `server`, and that etcd trusts for client certificates */
  readonly ca: string;
  readonly server: CertFiles;
  /** etcd's --client-cert-auth: a client needs a certificate signed by `ca` */
  readonly clientCertAuth?: boolean;
  /** the client certificate the harness itself uses (health checks, etcdctl) */
  readonly client?: CertFiles;
}

export interface StartEtcdOptions {
  readonly name?: string;
  readonly tls?: EtcdTls;
  /** more etcd flags, e.g. ['--auth-token-ttl', '2'] */
  readonly args?: readonly string[];
}

export interface EtcdProcess {
  /** http://127.0.0.1:PORT (https:// with TLS) */
  readonly endpoint: string;
  /** etcdctl's flags to reach it: the endpoint, and with TLS the CA and the harness's client certificate */
  readonly ctlFlags: readonly string[];
  readonly dataDir: string;
  readonly name: string;
  /** SIGTERM and wait for exit */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit */
  kill(): Promise<void>;
  /** (re)start on the same ports and data dir; resolves when it serves */
  start(): Promise<void>;
  /** kill if running, remove the data dir; idempotent */
  cleanup(): Promise<void>;
}

export interface EtcdCluster {
  readonly members: EtcdProcess[];
  readonly endpoints: string[];
  leader(): Promise<EtcdProcess>;
  cleanup(): Promise<void>;
}

const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;

async function findOnPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

async function etcdBinary(): Promise<string> {
  const bin = await findOnPath('etcd');
  if (bin === undefined) {
    throw new Error(
      'etcd was not found on PATH. The integration tests run a real etcd: install Debian\'s etcd-server package ' +
        '(`apt-get install etcd-server etcd-client`, which provides /usr/bin/etcd and /usr/bin/etcdctl) or put an etcd 3.4+ binary on PATH.',
    );
  }
  return bin;
}

interface MemberSpec {
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly dataDir: string;
  readonly initialCluster: string;
  readonly token: string;
  readonly tls?: EtcdTls;
  readonly args?: readonly string[];
}

class EtcdMember implements EtcdProcess {
  readonly endpoint: string;
  readonly ctlFlags: readonly string[];
  readonly dataDir: string;
  readonly name: string;
  private child: ChildProcess | undefined;
  private watchdog: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private logTail = '';
  private cleaned = false;
  private readonly killOnExit = (): void => {
    this.killNow();
    try {
      rmSync(this.dataDir, { recursive: true, force: true });
    } catch {
      // best effort at exit
    }
  };

  constructor(
    private readonly bin: string,
    private readonly spec: MemberSpec,
  ) {
    const tls = spec.tls;
    this.endpoint = `${tls ? 'https' : 'http'}://127.0.0.1:${spec.clientPort}`;
    this.ctlFlags = [
      `--endpoints=${this.endpoint}`,
      ...(tls ? [`--cacert=${tls.ca}`] : []),
      ...(tls?.client ? [`--cert=${tls.client.cert}`, `--key=${tls.client.key}`] : []),
    ];
    this.dataDir = spec.dataDir;
    this.name = spec.name;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Spawns etcd without waiting for it to serve. */
  spawnProcess(): void {
    if (this.child) return;
    if (this.cleaned) throw new Error(`etcd ${this.name} was cleaned up`);
    const { name, clientPort, peerPort, dataDir, initialCluster, token, tls } = this.spec;
    const client = this.endpoint;
    const peer = `http://127.0.0.1:${peerPort}`;
    const args = [
      '--name', name, '--data-dir', dataDir,
      '--listen-client-urls', client, '--advertise-client-urls', client,
      '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
      '--initial-cluster', initialCluster, '--initial-cluster-token', token, '--initial-cluster-state', 'new',
      '--logger', 'zap', '--log-outputs', 'stderr', '--log-level', 'error',
      ...(tls ? ['--cert-file', tls.server.cert, '--key-file', tls.server.key, '--trusted-ca-file', tls.ca] : []),
      ...(tls?.clientCertAuth ? ['--client-cert-auth'] : []),
      ...(this.spec.args ?? []),
    ];
    const child = spawn(this.bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    this.logTail = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.logTail = (this.logTail + chunk).slice(-8192);
    });
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', () => {
        process.removeListener('exit', this.killOnExit);
        this.stopWatchdog();
        if (this.child === child) this.child = undefined;
        resolve();
      });
      child.once('error', (err) => {
        this.logTail += `\nspawn error: ${err.message}`;
        resolve();
      });
    });
    process.on('exit', this.killOnExit);
    child.unref();
    (child.stderr as { unref?: () => void } | null)?.unref?.();
    if (child.pid !== undefined) this.startWatchdog(child.pid);
  }

  async waitReady(timeoutMs = READY_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.child) throw new Error(`etcd ${this.name} exited while starting:\n${this.logTail}`);
      try {
        const { status, body } = await this.getHealth();
        if (status === 200 && body.includes('"true"')) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`etcd ${this.name} did not become healthy within ${timeoutMs} ms:\n${this.logTail}`);
      await sleep(50);
    }
  }

  /** GET /health, over https with the harness's CA and client certificate when etcd has TLS */
  private async getHealth(): Promise<{ status: number; body: string }> {
    const tls = this.spec.tls;
    if (!tls) {
      const res = await fetch(`${this.endpoint}/health`, { signal: AbortSignal.timeout(1000) });
      return { status: res.status, body: await res.text() };
    }
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        `${this.endpoint}/health`,
        {
          ca: readFileSync(tls.ca),
          ...(tls.client ? { cert: readFileSync(tls.client.cert), key: readFileSync(tls.client.key) } : {}),
          timeout: 1000,
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end();
    });
  }

  async start(): Promise<void> {
    if (this.child) return this.waitReady();
    this.spawnProcess();
    await this.waitReady();
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGTERM');
    const done = await Promise.race([this.exited.then(() => true), sleep(STOP_TIMEOUT_MS).then(() => false)]);
    if (!done) await this.kill();
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGKILL');
    await keepingAlive(this.exited);
  }

  async cleanup(): Promise<void> {
    if (this.cleaned) return;
    await this.kill();
    this.cleaned = true;
    await rm(this.dataDir, { recursive: true, force: true });
  }

  /** Synchronous, for process exit. */
  private killNow(): void {
    const pid = this.child?.pid;
    if (pid !== undefined) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    this.stopWatchdog();
  }

  /** `sh` reads its stdin (our pipe) until EOF, which comes when this process dies however it dies. */
  private startWatchdog(pid: number): void {
    const dog = spawn('/bin/sh', ['-c', 'while read -r _; do :; done; kill -9 "$1" 2>/dev/null', 'etcd-watchdog', String(pid)], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    dog.on('error', () => undefined);
    dog.stdin?.on('error', () => undefined);
    dog.unref();
    (dog.stdin as { unref?: () => void } | null)?.unref?.();
    this.watchdog = dog;
  }

  private stopWatchdog(): void {
    const dog = this.watchdog;
    this.watchdog = undefined;
    if (dog && dog.exitCode === null && dog.signalCode === null) dog.kill('SIGKILL');
  }
}

/** The child processes are unref'd; hold the event loop open while we wait for one to exit. */
async function keepingAlive<T>(p: Promise<T>): Promise<T> {
  const timer = setInterval(() => undefined, 1000);
  try {
    return await p;
  } finally {
    clearInterval(timer);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function isPortClash(err: unknown): boolean {
  return err instanceof Error && /address already in use/i.test(err.message);
}

async function createMembers(bin: string, names: string[], opts: Omit<StartEtcdOptions, 'name'> = {}): Promise<EtcdMember[]> {
  const token = `junction-test-${randomBytes(4).toString('hex')}`;
  const ports: { client: number; peer: number }[] = [];
  for (let i = 0; i < names.length; i++) ports.push({ client: await freePort(), peer: await freePort() });
  const initialCluster = names.map((n, i) => `${n}=http://127.0.0.1:${ports[i]!.peer}`).join(',');
  const members: EtcdMember[] = [];
  for (const [i, name] of names.entries()) {
    const dataDir = await mkdtemp(join(tmpdir(), `junction-etcd-${name}-`));
    const p = ports[i]!;
    members.push(new EtcdMember(bin, { name, clientPort: p.client, peerPort: p.peer, dataDir, initialCluster, token, ...opts }));
  }
  return members;
}

async function launch(names: string[], opts: Omit<StartEtcdOptions, 'name'> = {}): Promise<EtcdMember[]> {
  const bin = await etcdBinary();
  for (let attempt = 1; ; attempt++) {
    const members = await createMembers(bin, names, opts);
    try {
      for (const m of members) m.spawnProcess();
      await Promise.all(members.map((m) => m.waitReady()));
      return members;
    } catch (err) {
      await Promise.all(members.map((m) => m.cleanup()));
      if (attempt >= 3 || !isPortClash(err)) throw err;
    }
  }
}

export async function startEtcd(opts: StartEtcdOptions = {}): Promise<EtcdProcess> {
  const { name, ...rest } = opts;
  const [member] = await launch([name ?? 'junction-test'], rest);
  return member!;
}

export async function startEtcdCluster(size = 3): Promise<EtcdCluster> {
  if (!Number.isInteger(size) || size < 1) throw new Error(`cluster size must be >= 1, got ${size}`);
  const members = await launch(Array.from({ length: size }, (_, i) => `member${i}`));
  return {
    members,
    endpoints: members.map((m) => m.endpoint),
    async leader(): Promise<EtcdProcess> {
      const deadline = Date.now() + READY_TIMEOUT_MS;
      for (;;) {
        for (const m of members) {
          if (!m.running) continue;
          try {
            // simple output: endpoint, id, version, db size, is leader, is learner, term, index, ...
            const out = await etcdctl([m.endpoint], 'endpoint', 'status');
            if (out.split(',')[4]?.trim() === 'true') return m;
          } catch {
            // member not answering: try the next one
          }
        }
        if (Date.now() > deadline) throw new Error('no etcd member reports being the leader');
        await sleep(100);
      }
    },
    async cleanup(): Promise<void> {
      await Promise.all(members.map((m) => m.cleanup()));
    },
  };
}

/**
 * Runs `etcdctl` (v3 API) against the endpoints, or against one etcd with its TLS flags; resolves
 * with stdout, rejects with stderr.
 */
export function etcdctl(target: string[] | EtcdProcess, ...args: string[]): Promise<string> {
  const flags = Array.isArray(target) ? [`--endpoints=${target.join(',')}`] : target.ctlFlags;
  return new Promise((resolve, reject) => {
    execFile(
      'etcdctl',
      [...flags, '--dial-timeout=3s', ...args],
      { env: { ...process.env, ETCDCTL_API: '3' }, timeout: 20_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`etcdctl ${args.join(' ')} failed: ${stderr.trim() || err.message}`, { cause: err }));
        else resolve(stdout);
      },
    );
  });
}
