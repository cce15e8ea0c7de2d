import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import type { Pinning } from './pinning.js';
import { sleep } from './time.js';

export interface MachineInfo {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly node: string;
  readonly platform: string;
  readonly kernel: string;
  readonly date: string;
  readonly pinning: string;
  /** 1-minute load average when the bench started */
  readonly loadAvg1: number;
  /** share of all cores busy (from /proc/stat) during 1 s before the bench started anything */
  readonly busyBeforePct: number | undefined;
}

function cpuTicks(): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

/** How busy the machine is (other work skews every figure); undefined without /proc. */
export async function busyPct(ms = 1000): Promise<number | undefined> {
  const a = cpuTicks();
  await sleep(ms);
  const b = cpuTicks();
  if (!a || !b || b.total === a.total) return undefined;
  return Math.round(((b.busy - a.busy) / (b.total - a.total)) * 1000) / 10;
}

export async function machineInfo(pinning: Pinning): Promise<MachineInfo> {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    kernel: release(),
    date: new Date().toISOString(),
    pinning: pinning.describe(),
    loadAvg1: Math.round((loadavg()[0] ?? 0) * 100) / 100,
    busyBeforePct: await busyPct(1000),
  };
}

export function machineLine(m: MachineInfo): string {
  return `${m.cpus} cores (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}, ${m.platform} ${m.kernel}, ${m.date}`;
}

/** A warning line when something else was using the CPU before the bench started, else ''. */
export function busyWarning(m: MachineInfo): string {
  if (m.busyBeforePct === undefined || m.busyBeforePct < 10) return '';
  return `WARNING: the machine was ${m.busyBeforePct}% busy before the bench started (load average ${m.loadAvg1}): other processes skew these figures`;
}

/**
 * Waits (up to `maxWaitS`) until the whole machine is less than `pct`% busy over one second, so a
 * measured run does not start in the middle of someone else's work. Returns the last reading.
 */
export async function waitForQuiet(pct: number, maxWaitS: number, say: (line: string) => void): Promise<number | undefined> {
  const deadline = performance.now() + maxWaitS * 1000;
  let busy = await busyPct(1000);
  let said = false;
  while (busy !== undefined && busy >= pct && performance.now() < deadline) {
    if (!said) say(`  machine ${busy}% busy: waiting up to ${maxWaitS} s for < ${pct}%`);
    said = true;
    await sleep(1000);
    busy = await busyPct(1000);
  }
  if (said) say(`  ${busy !== undefined && busy < pct ? 'quiet now' : 'still busy, measuring anyway'} (${busy}%)`);
  return busy;
}

/**
 * The opening lines every bench report shares: title, command, machine, busy warning, then the
 * report's own context lines (disturbance, load), each followed by a blank line.
 */
export function reportHeader(title: string, command: string, m: MachineInfo, ...context: string[]): string[] {
  return [
    `# ${title}`,
    '',
    `Command: \`${command}\``,
    '',
    `Machine: ${machineLine(m)}. ${m.pinning}.`,
    ...(busyWarning(m) ? ['', busyWarning(m)] : []),
    '',
    ...context.flatMap((line) => [line, '']),
  ];
}
