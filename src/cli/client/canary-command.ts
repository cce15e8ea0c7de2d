import { ID_RE } from '../../config/ids.js';
import { AdminClient } from './admin-client.js';
import { COMMON_HELP, parseClientArgs } from './client-options.js';
import { usage } from './exit-codes.js';
import { describeGuard, type GuardView } from './guard-text.js';
import { json, out, table } from './output.js';

export const CANARY_HELP = `usage: junction canary ROUTE                      show the route's split and its guards
       junction canary ROUTE BACKEND=WEIGHT ...    set the split, e.g. junction canary api v1=90 v2=10

  The listed arms become the route's split, in that order (an arm not listed is removed; a route
  with a single "backend" becomes a split). sticky, force and guard are kept. The write is a
  compare-and-swap on the route as read (If-Match): exit 6 when it changed meanwhile.

  --dry-run     validate the new split, write nothing

${COMMON_HELP}`;

/** `junction canary ROUTE [b=w ...]`. */
export async function canaryCommand(argv: readonly string[]): Promise<void> {
  const p = parseClientArgs(argv, { 'dry-run': { type: 'boolean' } }, 'canary');
  if (p.help) return out(CANARY_HELP);
  const [route, ...pairs] = p.positionals;
  if (route === undefined) throw usage('canary: give a route id (see junction canary --help)');
  if (!ID_RE.test(route)) throw usage(`${JSON.stringify(route)} is not a valid route id`);
  const split = pairs.map((pair) => {
    const m = /^([a-z0-9][a-z0-9_.-]{0,62})=(\d{1,7})$/.exec(pair);
    if (!m) throw usage(`${JSON.stringify(pair)}: expected BACKEND=WEIGHT, e.g. v2=10`);
    return { backend: m[1] as string, weight: Number(m[2]) };
  });
  if (new Set(split.map((s) => s.backend)).size !== split.length) throw usage('canary: a backend is listed twice');
  const client = new AdminClient(p.common);
  const path = `/api/v1/routes/${route}`;
  const { body: doc, modRevision } = await client.get<Record<string, unknown>>(path);

  if (split.length === 0) {
    const { body: status } = await client.get<{ canary?: { guards?: GuardView[] } }>('/api/v1/status');
    const guards = (status.canary?.guards ?? []).filter((g) => g.route === route);
    if (p.common.json) return out(json({ route, modRevision, split: doc.split ?? null, backend: doc.backend ?? null, guards }));
    const arms = (doc.split as Array<{ backend: string; weight: number }> | undefined) ?? (typeof doc.backend === 'string' ? [{ backend: doc.backend, weight: 1 }] : []);
    const total = arms.reduce((n, a) => n + a.weight, 0) || 1;
    const rows = arms.map((a) => {
      const g = guards.find((x) => x.backend === a.backend);
      return [a.backend, a.weight, `${((100 * a.weight) / total).toFixed(1)}%`, g === undefined ? '-' : describeGuard(g)];
    });
    return out(table(['BACKEND', 'WEIGHT', 'SHARE', 'GUARD'], rows));
  }

  const next: Record<string, unknown> = { ...doc, split };
  delete next.backend;
  const dry = p.values['dry-run'] === true;
  const { body } = await client.put<{ modRevision?: number }>(`${path}${dry ? '?dryRun=1' : ''}`, next, modRevision);
  if (p.common.json) return out(json(body));
  const desc = split.map((s) => `${s.backend}=${s.weight}`).join(' ');
  out(dry ? `routes/${route} split ${desc} is valid (dry run, nothing written)\n` : `routes/${route} split ${desc} (mod revision ${body.modRevision})\n`);
}
