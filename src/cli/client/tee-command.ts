import { ID_RE } from '../../config/ids.js';
import { AdminClient } from './admin-client.js';
import { COMMON_HELP, parseClientArgs, stringFlag } from './client-options.js';
import { CliError, ExitCode, usage } from './exit-codes.js';
import { json, out, table } from './output.js';

export const TEE_HELP = `usage: junction tee ROUTE                          the route's tees and their fidelity reports
       junction tee ROUTE BACKEND --percent N        mirror N% (0..100) of ROUTE's traffic to BACKEND
       junction tee ROUTE BACKEND --off              stop mirroring to BACKEND

  --percent N    sampling percent; adds the tee, or changes the existing one for BACKEND
  --compare      also compare shadow responses with the primary (match rate in the status)
  --no-compare   stop comparing
  --off          remove the tee for BACKEND
  Other tee fields (methods, caps, headers) are kept; edit the route document for those.
  The write is a compare-and-swap on the route as read: exit 6 when it changed meanwhile.

${COMMON_HELP}`;

interface TeeReport {
  route: string;
  backend: string;
  intendedPercent: number;
  achievedPercent: number;
  sent: number;
  completed: number;
  failed: number;
  dropped: Record<string, number>;
  skipped: Record<string, number>;
  compare?: { matchRate: number | null };
}

/** `junction tee ROUTE [BACKEND --percent N | --off]`. */
export async function teeCommand(argv: readonly string[]): Promise<void> {
  const p = parseClientArgs(argv, { percent: { type: 'string' }, off: { type: 'boolean' }, compare: { type: 'boolean' }, 'no-compare': { type: 'boolean' } }, 'tee');
  if (p.help) return out(TEE_HELP);
  const [route, backend, ...extra] = p.positionals;
  if (route === undefined) throw usage('tee: give a route id (see junction tee --help)');
  if (extra.length > 0) throw usage(`tee: unexpected argument ${JSON.stringify(extra[0])}`);
  for (const id of [route, backend]) if (id !== undefined && !ID_RE.test(id)) throw usage(`${JSON.stringify(id)} is not a valid id`);
  const percentRaw = stringFlag(p.values, 'percent');
  const off = p.values.off === true;
  const compare = p.values.compare === true ? true : p.values['no-compare'] === true ? false : undefined;
  if (off && (percentRaw !== undefined || compare !== undefined)) throw usage('tee: --off goes alone');
  let percent: number | undefined;
  if (percentRaw !== undefined) {
    percent = Number(percentRaw);
    if (!/^\d+(\.\d+)?$/.test(percentRaw) || percent > 100) throw usage(`--percent ${JSON.stringify(percentRaw)}: expected a number from 0 to 100`);
  }
  const client = new AdminClient(p.common);
  const path = `/api/v1/routes/${route}`;
  const { body: doc, modRevision } = await client.get<Record<string, unknown>>(path);
  const tees = [...((doc.tee as Array<Record<string, unknown>> | undefined) ?? [])];

  if (backend === undefined || (!off && percent === undefined && compare === undefined)) {
    const { body: status } = await client.get<{ tee?: TeeReport[] }>('/api/v1/status');
    const reports = (status.tee ?? []).filter((t) => t.route === route && (backend === undefined || t.backend === backend));
    if (p.common.json) return out(json({ route, modRevision, tee: tees.filter((t) => backend === undefined || t.backend === backend), reports }));
    if (backend !== undefined && !tees.some((t) => t.backend === backend)) {
      throw new CliError(ExitCode.notFound, 'not_found', `routes/${route} has no tee to ${backend} (add one with --percent N)`);
    }
    const rows = tees
      .filter((t) => backend === undefined || t.backend === backend)
      .map((t) => {
        const r = reports.find((x) => x.backend === t.backend);
        const dropped = r ? Object.values(r.dropped).reduce((a, b) => a + b, 0) : 0;
        return [
          String(t.backend),
          `${Number(t.percent ?? 100)}%`,
          r ? `${r.achievedPercent.toFixed(1)}%` : '-',
          r ? r.sent : '-',
          r ? `${r.completed}/${r.failed}` : '-',
          r ? `${dropped} (${Object.entries(r.dropped).map(([k, v]) => `${k} ${v}`).join(', ')})` : '-',
          t.compare ? (r?.compare?.matchRate == null ? 'on' : `${(100 * r.compare.matchRate).toFixed(1)}% match`) : 'off',
        ];
      });
    return out(table(['SHADOW', 'PERCENT', 'ACHIEVED', 'SENT', 'DONE/FAILED', 'DROPPED', 'COMPARE'], rows));
  }

  const i = tees.findIndex((t) => t.backend === backend);
  if (off) {
    if (i < 0) throw new CliError(ExitCode.notFound, 'not_found', `routes/${route} has no tee to ${backend}`);
    tees.splice(i, 1);
  } else {
    const entry = { ...(i >= 0 ? tees[i] : { backend }), ...(percent !== undefined ? { percent } : {}), ...(compare !== undefined ? { compare } : {}) };
    if (i >= 0) tees[i] = entry;
    else tees.push(entry);
  }
  const next: Record<string, unknown> = { ...doc, tee: tees };
  if (tees.length === 0) delete next.tee;
  const { body } = await client.put<{ modRevision?: number }>(path, next, modRevision);
  if (p.common.json) return out(json(body));
  out(off ? `routes/${route}: tee to ${backend} removed (mod revision ${body.modRevision})\n` : `routes/${route}: tee to ${backend}${percent !== undefined ? ` at ${percent}%` : ''}${compare === undefined ? '' : compare ? ', comparing' : ', not comparing'} (mod revision ${body.modRevision})\n`);
}
