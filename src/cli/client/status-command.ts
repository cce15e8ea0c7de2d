import { AdminClient } from './admin-client.js';
import { COMMON_HELP, parseClientArgs } from './client-options.js';
import { usage } from './exit-codes.js';
import { describeGuard, type GuardView } from './guard-text.js';
import { json, out } from './output.js';

export const STATUS_HELP = `usage: junction status [flags]

  The instance behind --admin-url: version, applied revision, store and staleness, readiness,
  configuration errors (by key and field), canary guards, tee fidelity, and the certificates it
  serves with the days they have left (a warning under 14). Exit 0 when it answers,
  whatever it reports; --json prints GET /api/v1/status as it is.

${COMMON_HELP}`;

interface Status {
  instance: string;
  version: string;
  revision: number;
  appliedAt: string | null;
  ready: boolean;
  draining: boolean;
  store: { kind: string; connected: boolean; stalenessSeconds: number; error?: string };
  errors: Array<{ key: string; field?: string; message: string }>;
  counts?: Record<string, number>;
  canary?: { guards?: GuardView[] };
  certs?: Array<{ id: string; sans: string[]; default: boolean; notAfter: string; expiresInDays: number; warning?: string }>;
  acme?: { driver: string | null; driving: boolean; certificates: Array<{ id: string; domains: string[]; state: string; renewAt: string | null; failures: number; lastError: string | null; nextAttemptAt: string | null }> };
  tee?: Array<{ route: string; backend: string; intendedPercent: number; achievedPercent: number; sent: number; dropped: Record<string, number>; compare?: { matchRate: number | null } }>;
}

export async function statusCommand(argv: readonly string[]): Promise<void> {
  const p = parseClientArgs(argv, {}, 'status');
  if (p.help) return out(STATUS_HELP);
  if (p.positionals.length > 0) throw usage(`status: unexpected argument ${JSON.stringify(p.positionals[0])}`);
  const { body: s } = await new AdminClient(p.common).get<Status>('/api/v1/status');
  if (p.common.json) return out(json(s));
  const lines = [
    `instance  ${s.instance} (junction ${s.version})`,
    `revision  ${s.revision}${s.appliedAt ? ` applied ${s.appliedAt}` : ''}`,
    `store     ${s.store.kind}, ${s.store.connected ? 'connected' : `DISCONNECTED for ${s.store.stalenessSeconds.toFixed(0)} s${s.store.error ? ` (${s.store.error})` : ''}`}`,
    `ready     ${s.draining ? 'no (draining)' : s.ready ? 'yes' : 'no'}`,
  ];
  if (s.counts) lines.push(`config    ${Object.entries(s.counts).map(([k, v]) => `${v} ${k}`).join(', ')}`);
  lines.push(`errors    ${s.errors.length === 0 ? 'none' : s.errors.length}`);
  for (const e of s.errors) lines.push(`  ${e.key}${e.field ? ` (${e.field})` : ''}: ${e.message}`);
  const guards = s.canary?.guards ?? [];
  if (guards.length > 0) {
    lines.push('guards');
    for (const g of guards) lines.push(`  ${g.route} -> ${g.backend}: ${describeGuard(g)}`);
  }
  const tees = s.tee ?? [];
  if (tees.length > 0) {
    lines.push('tees');
    for (const t of tees) {
      const dropped = Object.values(t.dropped).reduce((a, b) => a + b, 0);
      const cmp = t.compare ? `, match ${t.compare.matchRate === null ? '-' : `${(100 * t.compare.matchRate).toFixed(1)}%`}` : '';
      lines.push(`  ${t.route} -> ${t.backend}: ${t.intendedPercent}% wanted, ${t.achievedPercent.toFixed(1)}% sent (${t.sent}), ${dropped} dropped${cmp}`);
    }
  }
  const certs = s.certs ?? [];
  if (certs.length > 0) {
    lines.push('certs');
    for (const c of certs) {
      const names = c.sans.length > 0 ? c.sans.join(', ') : '(no names)';
      const left = c.warning ? `WARNING: ${c.warning}` : `expires ${c.notAfter.slice(0, 10)} (in ${c.expiresInDays} days)`;
      lines.push(`  ${c.id}${c.default ? ' (default)' : ''}: ${names}; ${left}`);
    }
  }
  if (s.acme !== undefined) {
    lines.push(`acme      ${s.acme.driving ? 'this instance drives' : s.acme.driver === null ? 'no instance drives right now' : `driven by ${s.acme.driver}`}`);
    for (const a of s.acme.certificates) {
      const detail =
        a.state === 'failed'
          ? `FAILED ${a.failures}x, next try ${a.nextAttemptAt ?? '-'}: ${a.lastError ?? ''}`
          : a.state === 'valid'
            ? `valid, renews from ${a.renewAt ?? '-'}`
            : a.state;
      lines.push(`  ${a.id}: ${a.domains.join(', ')}; ${detail}`);
    }
  }
  out(lines.join('\n') + '\n');
}
