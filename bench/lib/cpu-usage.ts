import { readFileSync } from 'node:fs';
import { descendants } from './process-group.js';

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** utime + stime of one process in ms (0 when it is gone or /proc is missing). */
function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS; // fields 14 and 15 of proc(5)
  } catch {
    return 0;
  }
}

/** busy and total jiffies per core, from /proc/stat */
function coreTicks(): Array<{ busy: number; total: number }> {
  try {
    return readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .filter((l) => /^cpu\d+ /.test(l))
      .map((l) => {
        const f = l.trim().split(/\s+/).slice(1).map(Number);
        const total = f.reduce((a, b) => a + b, 0);
        return { busy: total - (f[3] ?? 0) - (f[4] ?? 0), total };
      });
  } catch {
    return [];
  }
}

export interface CpuWindow {
  /** CPU time of the watched processes (and their descendants) as % of one core */
  readonly processPct: number;
  /** CPU time of the watched processes per request, µs */
  readonly usPerRequest: number;
  /** how busy each core was, % */
  readonly corePct: readonly number[];
}

/** Starts measuring; `end(requests)` returns the usage since the start. */
export function cpuWindow(pids: readonly number[]): { end(requests: number): CpuWindow } {
  const all = () => [...new Set(pids.flatMap((p) => [p, ...descendants(p)]))];
  const watched = all();
  const cpu0 = watched.reduce((a, p) => a + processCpuMs(p), 0);
  const cores0 = coreTicks();
  const t0 = performance.now();
  return {
    end(requests: number): CpuWindow {
      const cpuMs = watched.reduce((a, p) => a + processCpuMs(p), 0) - cpu0;
      const wallMs = performance.now() - t0;
      const cores1 = coreTicks();
      return {
        processPct: Math.round((cpuMs / Math.max(1, wallMs)) * 1000) / 10,
        usPerRequest: requests > 0 ? Math.round((cpuMs * 1000) / requests) : 0,
        corePct: cores1.map((c, i) => {
          const b = cores0[i];
          const dt = b ? c.total - b.total : 0;
          return b && dt > 0 ? Math.round(((c.busy - b.busy) / dt) * 1000) / 10 : 0;
        }),
      };
    },
  };
}

/** A process's resident memory (VmRSS), MiB; undefined once it is gone. */
export function rssMiB(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] ? Math.round(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}
