import { readFileSync } from 'node:fs';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}
interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface SelfTimeEntry {
  readonly name: string;
  readonly location: string;
  readonly selfMs: number;
  /** share of the busy (non-idle) time */
  readonly pct: number;
  /** the caller that accounts for most of this self time */
  readonly topCaller: string;
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly idlePct: number;
  readonly top: readonly SelfTimeEntry[];
  readonly byModule: ReadonlyArray<{ readonly module: string; readonly selfMs: number; readonly pct: number }>;
}

function shortUrl(url: string): string {
  const u = url.replace(/^file:\/\//, '');
  const nm = u.lastIndexOf('/node_modules/');
  if (nm >= 0) return u.slice(nm + '/node_modules/'.length);
  const dist = u.indexOf('/dist/');
  if (dist >= 0) return u.slice(dist + 1);
  return u;
}

function moduleOf(frame: CallFrame): string {
  const u = frame.url;
  if (u === '') return /^\(.*\)$/.test(frame.functionName) ? frame.functionName : '(native)';
  if (u.startsWith('node:')) return 'node core';
  const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u);
  if (m?.[1]) return m[1];
  if (u.includes('/dist/src/')) return 'junction (dist/src)';
  return 'other';
}

/** Self time per function (and per module) of a V8 .cpuprofile, biggest first. */
export function summarizeProfile(file: string, topN = 20): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parentOf = new Map<number, number>();
  for (const n of p.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parentOf.set(c, n.id);
  }
  const frameName = (f: CallFrame) => `${f.functionName || '(anonymous)'}${f.url === '' ? '' : ` ${shortUrl(f.url)}:${f.lineNumber + 1}`}`;
  const selfUs = new Map<number, number>();
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i];
    const dt = p.timeDeltas[i + 1] ?? p.timeDeltas[i] ?? 0;
    if (id === undefined || dt < 0) continue;
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
    total += dt;
  }
  const fns = new Map<string, { name: string; location: string; us: number; callers: Map<string, number> }>();
  const mods = new Map<string, number>();
  let idle = 0;
  for (const [id, us] of selfUs) {
    const f = byId.get(id)?.callFrame;
    if (!f) continue;
    if (f.functionName === '(idle)') {
      idle += us;
      continue;
    }
    const location = f.url === '' ? '' : `${shortUrl(f.url)}:${f.lineNumber + 1}`;
    const name = f.functionName || '(anonymous)';
    const key = `${name}@${location}`;
    const e = fns.get(key) ?? { name, location, us: 0, callers: new Map<string, number>() };
    e.us += us;
    const parent = byId.get(parentOf.get(id) ?? -1)?.callFrame;
    const caller = parent ? frameName(parent) : '(root)';
    e.callers.set(caller, (e.callers.get(caller) ?? 0) + us);
    fns.set(key, e);
    const mod = moduleOf(f);
    mods.set(mod, (mods.get(mod) ?? 0) + us);
  }
  const busy = Math.max(1, total - idle);
  const pct = (us: number) => Math.round((us / busy) * 1000) / 10;
  const msOf = (us: number) => Math.round(us / 100) / 10;
  return {
    totalMs: msOf(total),
    idlePct: Math.round((idle / Math.max(1, total)) * 1000) / 10,
    top: [...fns.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, topN)
      .map((e) => ({
        name: e.name,
        location: e.location,
        selfMs: msOf(e.us),
        pct: pct(e.us),
        topCaller: [...e.callers.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '',
      })),
    byModule: [...mods.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([module, us]) => ({ module, selfMs: msOf(us), pct: pct(us) })),
  };
}
