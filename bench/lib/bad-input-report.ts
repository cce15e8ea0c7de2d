/**
 * The bad-input probe's results: one row per case, one cell per proxy for what the client got,
 * and one cell for what the upstream received through each proxy. Markdown for people, JSON with
 * the raw bytes for a closer look.
 */
import type { ProbeCase } from './bad-input-cases.js';
import type { ProxyName } from './probe-proxies.js';
import type { Exchange } from './raw-exchange.js';
import { headerValues, type UpstreamRequest } from './recording-upstream.js';
import { busyWarning, type MachineInfo } from './machine.js';
import { markdownTable } from './table.js';

export interface ProxyOutcome {
  readonly proxy: ProxyName;
  /** the proxy's port during the case: the client's `Host` was `127.0.0.1:<port>` */
  readonly proxyPort: number;
  readonly exchange: Exchange;
  readonly upstream: readonly UpstreamRequest[];
  /** set when the proxy did not answer a health check after the case and was restarted */
  readonly restarted?: string;
}

export interface CaseResult {
  readonly id: string;
  readonly issue: string;
  readonly summary: string;
  readonly bytes: number;
  readonly outcomes: readonly ProxyOutcome[];
}

export interface BadInputReport {
  readonly command: string;
  readonly machine: MachineInfo;
  readonly versions: Readonly<Partial<Record<ProxyName, string>>>;
  readonly upstreamPort: number;
  readonly deadlineMs: number;
  readonly idleMs: number;
  readonly notes: readonly string[];
  readonly cases: readonly CaseResult[];
}

const FORWARDING = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-real-ip', 'forwarded']);

/** Text safe inside a Markdown table cell (no pipes, no HTML). */
function cell(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\|/g, '\\|');
}

function clip(text: string, max = 48): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The error code of a JSON error body (Junction's), or the title of an HTML one when it says more than the status lines. */
export function errorDetail(ex: Pick<Exchange, 'raw' | 'responses'>): string | undefined {
  const code = /\{"error":"([a-z_]+)"/.exec(ex.raw)?.[1];
  if (code) return `\`${code}\``;
  const title = /<title>\d{3} ([^<]+)<\/title>/.exec(ex.raw)?.[1]?.trim();
  const reasons = ex.responses.map((r) => r.statusLine.replace(/^HTTP\/\S+ \d{3} ?/, '').trim().toLowerCase());
  return title && !reasons.includes(title.toLowerCase()) ? `"${title}"` : undefined;
}

export function duration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** What the client got: status lines (with the case's headers of interest), when, and how it ended. */
export function clientCell(ex: Exchange, show: readonly string[] = []): string {
  if (ex.end === 'refused') return 'connection refused';
  const last = ex.responses.at(-1);
  const ends: Record<Exclude<Exchange['end'], 'refused'>, string> = {
    closed: 'closed',
    reset: 'reset',
    'kept-open': 'kept open',
    deadline: `still open at ${duration(ex.endMs)}`,
  };
  if (!last) return ex.end === 'deadline' ? `no answer in ${duration(ex.endMs)}` : `no answer; ${ends[ex.end]} at ${duration(ex.endMs)}`;
  const statuses = ex.responses
    .map((r) => {
      const hs = show.flatMap((n) => r.headers.filter(([k]) => k.toLowerCase() === n).map(([k, v]) => `${k}: ${clip(v, 40)}`));
      return `**${r.statusLine.replace(/^HTTP\/\S+ /, '')}**${hs.length ? ` [${hs.join('; ')}]` : ''}`;
    })
    .join(' → ');
  const first = ex.responses[0]?.atMs ?? 0;
  const when = last.atMs - first > 100 ? `${duration(first)} → ${duration(last.atMs)}` : duration(first);
  const lateEnd = ex.end === 'closed' || ex.end === 'reset' ? (ex.endMs - last.atMs > 300 ? ` at ${duration(ex.endMs)}` : '') : '';
  const detail = errorDetail(ex);
  return `${statuses}${detail ? ` ${detail}` : ''} (${when}), ${ends[ex.end]}${lateEnd}`;
}

/** One request as the upstream saw it: request line, the case's headers of interest, body, size. */
export function upstreamRequestText(r: UpstreamRequest, show: readonly string[]): string {
  const parts: string[] = [`\`${clip(r.requestLine, 60)}\``];
  const absent: string[] = [];
  for (const name of show) {
    const values = headerValues(r, name);
    const sent = r.headers.find(([k]) => k.toLowerCase() === name)?.[0] ?? name;
    if (values.length === 0) {
      if (!FORWARDING.has(name) || show.every((n) => FORWARDING.has(n))) absent.push(name);
    } else parts.push(...values.map((v) => `${sent}: ${clip(v)}`));
  }
  if (absent.length > 0) parts.push(`(absent: ${absent.join(', ')})`);
  if (r.headers.length > 50) parts.push(`${r.headers.length.toLocaleString('en-US')} header lines`);
  const declared = headerValues(r, 'content-length')[0];
  if (r.bodyBytes > 0 || !r.complete) parts.push(`body ${r.bodyBytes}${declared ? ` of ${declared}` : ''} B${r.complete ? '' : ', incomplete'}`);
  return parts.join(', ');
}

/**
 * What the upstream received through each proxy, one line per proxy. `127.0.0.1:<proxy port>`
 * reads `H` (the proxy's address, as the client's Host carried it) and `127.0.0.1:<upstream port>`
 * reads `U` (the upstream's own address), so that the cells do not change from run to run.
 */
export function upstreamCell(outcomes: readonly ProxyOutcome[], show: readonly string[], upstreamPort: number): string {
  return outcomes
    .map((o) => {
      const reqs = o.upstream;
      const text = reqs.length === 0 ? 'nothing' : reqs.map((r) => upstreamRequestText(r, show)).join(' + ');
      const named = text.replaceAll(`127.0.0.1:${o.proxyPort}`, 'H').replaceAll(`127.0.0.1:${upstreamPort}`, 'U');
      return `${o.proxy}: ${named}${o.restarted ? ` (${o.restarted})` : ''}`;
    })
    .map(cell)
    .join('<br>');
}

export function resultsTable(cases: readonly CaseResult[], defs: readonly ProbeCase[], proxies: readonly ProxyName[], upstreamPort: number): string {
  const byId = new Map(defs.map((d) => [d.id, d]));
  const rows = cases.map((c) => {
    const d = byId.get(c.id);
    const client = proxies.map((p) => {
      const o = c.outcomes.find((x) => x.proxy === p);
      return o ? cell(clientCell(o.exchange, d?.showResponse)) : 'n/a';
    });
    return [`${c.issue} \`${c.id}\``, c.summary.replace(/\|/g, '\\|'), ...client, upstreamCell(c.outcomes, d?.showUpstream ?? ['host'], upstreamPort)];
  });
  return markdownTable([{ title: 'case' }, { title: 'bytes' }, ...proxies.map((title) => ({ title })), { title: 'upstream saw, per proxy' }], rows);
}

export function reportMarkdown(r: BadInputReport, defs: readonly ProbeCase[], proxies: readonly ProxyName[]): string {
  const versions = proxies.map((p) => `${p} ${r.versions[p] ?? '?'}`).join('; ');
  return [
    '# Bad input: Junction beside nginx and HAProxy',
    '',
    `Command: \`${r.command}\``,
    '',
    `Measured ${r.machine.date} on ${r.machine.cpus} cores (${r.machine.cpuModel}), Node ${r.machine.node}, ${r.machine.platform} ${r.machine.kernel}.`,
    `Versions: ${versions}.`,
    ...(busyWarning(r.machine) ? ['', busyWarning(r.machine)] : []),
    '',
    `Each case's exact bytes go on a fresh loopback connection to each proxy; the probe reads until the proxy closes, until it has been silent ${r.idleMs} ms after a complete final answer (then "kept open"), or for cases that wait for a close, until ${duration(r.deadlineMs)}. Times are from the connect. The upstream column lists what the recording upstream received through each proxy during the case (request line, the case's headers of interest as named on the wire, the body when there is one); \`H\` is the proxy's address as the client's Host carried it, \`U\` the upstream's own address.`,
    '',
    ...r.notes.map((n) => `- ${n}`),
    ...(r.notes.length > 0 ? [''] : []),
    resultsTable(r.cases, defs, proxies, r.upstreamPort),
    '',
  ].join('\n');
}
