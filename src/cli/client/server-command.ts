import { ID_RE } from '../../config/ids.js';
import { AdminClient } from './admin-client.js';
import { COMMON_HELP, parseClientArgs, stringFlag } from './client-options.js';
import { CliError, ExitCode, usage } from './exit-codes.js';
import { json, out, table } from './output.js';

export const SERVER_HELP = `usage: junction server BACKEND list
       junction server BACKEND ID                       show one server
       junction server BACKEND ID --drain | --enable | --disable
       junction server BACKEND ID --url URL [--weight N]   create or change it
       junction server BACKEND ID --delete

  A server is edited where it is defined: its servers/BACKEND/ID key, or the backend's inline
  "servers" list; a new server becomes a servers/BACKEND/ID key. Every change is a compare-and-swap
  on what was read (exit 6 when it changed meanwhile: run again).

  --drain       state "draining": no new requests, in-flight ones finish
  --enable      state "active"
  --disable     state "disabled"
  --url URL     the server's http(s) origin
  --weight N    balancing weight (whole number)
  --delete      remove the server

${COMMON_HELP}`;

interface ServersBody {
  items: Record<string, { modRevision: number; value?: Record<string, unknown> }>;
  inline: Array<Record<string, unknown> & { id: string }>;
  effective: Array<{ id: string; url: string; weight: number; state: string; source: string }>;
}

interface TopologyBody {
  backends: Array<{ id: string; servers: Array<{ id: string; available: boolean; healthy: boolean | null; breakerOpen: boolean | null }> }>;
}

/** `junction server BACKEND list|ID [--drain|--enable|--disable|--delete|--url U --weight N]`. */
export async function serverCommand(argv: readonly string[]): Promise<void> {
  const p = parseClientArgs(
    argv,
    {
      drain: { type: 'boolean' },
      enable: { type: 'boolean' },
      disable: { type: 'boolean' },
      delete: { type: 'boolean' },
      url: { type: 'string' },
      weight: { type: 'string' },
    },
    'server',
  );
  if (p.help) return out(SERVER_HELP);
  const [backend, sid, ...extra] = p.positionals;
  if (backend === undefined) throw usage('server: give a backend id (see junction server --help)');
  if (!ID_RE.test(backend)) throw usage(`${JSON.stringify(backend)} is not a valid backend id`);
  if (extra.length > 0) throw usage(`server: unexpected argument ${JSON.stringify(extra[0])}`);
  const client = new AdminClient(p.common);
  const base = `/api/v1/backends/${backend}/servers`;

  if (sid === undefined || sid === 'list') {
    const [{ body }, topo] = await Promise.all([client.get<ServersBody>(base), client.get<TopologyBody>('/api/v1/topology')]);
    if (p.common.json) return out(json(body));
    const live = new Map((topo.body.backends.find((b) => b.id === backend)?.servers ?? []).map((s) => [s.id, s]));
    const rows = serverRows(body).map((s) => {
      const l = live.get(s.id);
      const health = l === undefined ? 'not serving' : `${l.available ? 'available' : 'unavailable'}${l.healthy === false ? ', unhealthy' : ''}${l.breakerOpen ? ', breaker open' : ''}`;
      return [s.id, s.url, s.weight, s.state, s.source, health];
    });
    return out(table(['ID', 'URL', 'WEIGHT', 'STATE', 'SOURCE', 'LIVE'], rows));
  }
  if (!ID_RE.test(sid)) throw usage(`${JSON.stringify(sid)} is not a valid server id`);

  const states = (['drain', 'enable', 'disable'] as const).filter((f) => p.values[f] === true);
  const url = stringFlag(p.values, 'url');
  const weightRaw = stringFlag(p.values, 'weight');
  const del = p.values.delete === true;
  if (states.length > 1 || (del && (states.length > 0 || url !== undefined || weightRaw !== undefined))) {
    throw usage('server: give one of --drain, --enable, --disable, --delete (--url/--weight may go with a state)');
  }
  let weight: number | undefined;
  if (weightRaw !== undefined) {
    if (!/^\d+$/.test(weightRaw) || Number(weightRaw) > 1_000_000) throw usage(`--weight ${JSON.stringify(weightRaw)}: expected a whole number from 0 to 1000000`);
    weight = Number(weightRaw);
  }
  const state = states[0] === 'drain' ? 'draining' : states[0] === 'enable' ? 'active' : states[0] === 'disable' ? 'disabled' : undefined;

  const { body } = await client.get<ServersBody>(base);
  const keyed = body.items[sid];
  const inlineIndex = body.inline.findIndex((s) => s.id === sid);
  const keyPath = `${base}/${sid}`;

  if (!del && state === undefined && url === undefined && weight === undefined) {
    const found = serverRows(body).find((s) => s.id === sid);
    if (!found) throw new CliError(ExitCode.notFound, 'not_found', `server ${backend}/${sid} does not exist`);
    return out(json(p.common.json ? found : { id: found.id, url: found.url, weight: found.weight, state: found.state, source: found.source }));
  }

  const change = (doc: Record<string, unknown>) => ({
    ...doc,
    ...(url !== undefined ? { url } : {}),
    ...(weight !== undefined ? { weight } : {}),
    ...(state !== undefined ? { state } : {}),
  });

  if (keyed !== undefined) {
    const answer = del ? await client.delete(keyPath, keyed.modRevision) : await client.put(keyPath, change(keyed.value ?? {}), keyed.modRevision);
    return report(p.common.json, answer.body, `servers/${backend}/${sid} ${del ? 'deleted' : updated(state, url, weight)}`);
  }
  if (inlineIndex >= 0) {
    const b = await client.get<Record<string, unknown>>(`/api/v1/backends/${backend}`);
    const servers = [...((b.body.servers as Array<Record<string, unknown>> | undefined) ?? [])];
    const i = servers.findIndex((s) => s.id === sid);
    if (i < 0) throw new CliError(ExitCode.conflict, 'conflict', `backends/${backend} changed while it was read; run again`);
    if (del) servers.splice(i, 1);
    else servers[i] = change(servers[i] as Record<string, unknown>);
    const answer = await client.put(`/api/v1/backends/${backend}`, { ...b.body, servers }, b.modRevision);
    return report(p.common.json, answer.body, `backends/${backend} servers[${i}] (${sid}) ${del ? 'removed' : updated(state, url, weight)}`);
  }
  if (del || url === undefined) {
    throw new CliError(ExitCode.notFound, 'not_found', `server ${backend}/${sid} does not exist${del ? '' : ' (give --url to create it)'}`);
  }
  const answer = await client.put(keyPath, change({}), 0);
  return report(p.common.json, answer.body, `servers/${backend}/${sid} created`);
}

function updated(state: string | undefined, url: string | undefined, weight: number | undefined): string {
  const parts = [state && `state ${state}`, url && `url ${url}`, weight !== undefined && `weight ${weight}`].filter(Boolean);
  return `updated: ${parts.join(', ')}`;
}

function report(asJson: boolean, body: unknown, line: string): void {
  const rev = (body as { modRevision?: number; revision?: number }).modRevision ?? (body as { revision?: number }).revision;
  out(asJson ? json(body) : `${line} (revision ${rev})\n`);
}

/** Every server of the backend as the store defines it (a key overrides an inline server). */
function serverRows(body: ServersBody): Array<{ id: string; url: string; weight: number; state: string; source: string }> {
  const rows = new Map<string, { id: string; url: string; weight: number; state: string; source: string }>();
  for (const s of body.inline) rows.set(s.id, { id: s.id, url: String(s.url ?? ''), weight: Number(s.weight ?? 1), state: String(s.state ?? 'active'), source: 'inline' });
  for (const [id, item] of Object.entries(body.items)) {
    const v = item.value ?? {};
    rows.set(id, { id, url: String(v.url ?? '?'), weight: Number(v.weight ?? 1), state: String(v.state ?? 'active'), source: `key (rev ${item.modRevision})` });
  }
  return [...rows.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
}
