import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CoreChoice, Pinning } from './pinning.js';
import { sleep } from './time.js';

export type OutputSink = 'ignore' | 'inherit' | 'capture' | number;

export interface SpawnOptions {
  /** run on this core, or on every core (when pinning is on) */
  readonly core?: CoreChoice;
  /** 'capture' keeps the last few KB for error messages; a number is a file descriptor */
  readonly stdout?: OutputSink;
  readonly stderr?: OutputSink;
  /** open a Node IPC channel (the child must be a Node script) */
  readonly ipc?: boolean;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface Managed {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** settles when the process has exited (or failed to start) */
  readonly exited: Promise<ExitInfo>;
  running(): boolean;
  /** the tail of captured stdout + stderr */
  output(): string;
}

const TAIL_BYTES = 8192;

/** PIDs of every live descendant of `pid`, read from /proc (empty where /proc is missing). */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  const visit = (p: number) => {
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const t of tasks) {
      let children = '';
      try {
        children = readFileSync(`/proc/${p}/task/${t}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const c of children.split(/\s+/)) {
        const n = Number(c);
        if (c !== '' && Number.isInteger(n) && !out.includes(n)) {
          out.push(n);
          visit(n);
        }
      }
    }
  };
  visit(pid);
  return out;
}

function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Every process and temp directory the bench creates, so that all of them are stopped by PID
 * (and their descendants, e.g. nginx workers) at the end, on an error and on Ctrl-C.
 */
export class ProcessGroup {
  readonly #running = new Map<number, Managed>();
  readonly #dirs = new Set<string>();
  #interrupted = false;

  constructor(readonly pinning: Pinning) {}

  /** true after Ctrl-C/SIGTERM: nothing new starts, results are not written */
  get interrupted(): boolean {
    return this.#interrupted;
  }

  spawn(name: string, command: string, args: readonly string[], opts: SpawnOptions = {}): Managed {
    if (this.#interrupted) throw new Error(`interrupted: not starting ${name}`);
    const wrapped = opts.core === undefined ? { command, args: [...args] } : this.pinning.wrap(opts.core, command, args);
    const sink = (s: OutputSink | undefined): 'ignore' | 'inherit' | 'pipe' | number =>
      s === undefined ? 'ignore' : s === 'capture' ? 'pipe' : s;
    const stdio: StdioOptions = ['ignore', sink(opts.stdout), sink(opts.stderr)];
    if (opts.ipc) stdio.push('ipc');
    const child = spawn(wrapped.command, wrapped.args, { stdio, env: opts.env ?? process.env, cwd: opts.cwd });
    let tail = '';
    const keep = (chunk: Buffer) => {
      tail = (tail + chunk.toString('utf8')).slice(-TAIL_BYTES);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    let done = false;
    const exited = new Promise<ExitInfo>((resolve) => {
      child.once('exit', (code, signal) => {
        done = true;
        resolve({ code, signal });
      });
      child.once('error', (err) => {
        done = true;
        tail += `\n${name}: ${err.message}`;
        resolve({ code: -1, signal: null });
      });
    });
    const pid = child.pid ?? -1;
    const managed: Managed = { name, pid, child, exited, running: () => !done, output: () => tail };
    if (pid > 0) {
      this.#running.set(pid, managed);
      void exited.then(() => this.#running.delete(pid));
    }
    return managed;
  }

  /** A fresh directory under the OS temp dir, removed by stopAll(). */
  tempDir(label: string): string {
    const dir = mkdtempSync(join(tmpdir(), `junction-bench-${label}-`));
    this.#dirs.add(dir);
    return dir;
  }

  removeDir(dir: string): void {
    rmSync(dir, { recursive: true, force: true });
    this.#dirs.delete(dir);
  }

  /** SIGTERM (or `signal`), then SIGKILL after `graceMs`; descendants that outlive it are killed too. */
  async stop(m: Managed, graceMs = 5000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (m.pid <= 0) return;
    const kids = descendants(m.pid);
    if (m.running()) {
      signalPid(m.pid, signal);
      const timedOut = await Promise.race([m.exited.then(() => false), sleep(graceMs).then(() => true)]);
      if (timedOut) {
        signalPid(m.pid, 'SIGKILL');
        await Promise.race([m.exited, sleep(2000)]);
      }
    }
    for (const k of kids) if (alive(k)) signalPid(k, 'SIGKILL');
  }

  /** Stops every process still running, newest first, and removes the temp directories. */
  async stopAll(): Promise<void> {
    const procs = [...this.#running.values()].reverse();
    for (const m of procs) await this.stop(m, 3000);
    for (const dir of [...this.#dirs]) this.removeDir(dir);
  }

  /** Synchronous last resort (process 'exit'): SIGKILL everything left by PID. */
  killAllNow(): void {
    for (const m of this.#running.values()) {
      const kids = descendants(m.pid);
      signalPid(m.pid, 'SIGKILL');
      for (const k of kids) signalPid(k, 'SIGKILL');
    }
    this.#running.clear();
    for (const dir of [...this.#dirs]) {
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // best effort at exit
      }
    }
    this.#dirs.clear();
  }

  /** On SIGINT/SIGTERM: stop everything and exit 130; on exit: SIGKILL leftovers. Returns an uninstaller. */
  installSignalHandlers(): () => void {
    const onSignal = (signal: NodeJS.Signals) => {
      if (this.#interrupted) {
        this.killAllNow();
        process.exit(130);
      }
      this.#interrupted = true;
      process.stderr.write(`\n${signal}: stopping every process the bench started...\n`);
      void this.stopAll().finally(() => process.exit(130));
    };
    const onExit = () => this.killAllNow();
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('exit', onExit);
    return () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('exit', onExit);
    };
  }
}
