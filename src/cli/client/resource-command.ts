import { ID_RE } from '../../config/ids.js';
import { AdminClient } from './admin-client.js';
import { COMMON_HELP, parseClientArgs, revisionFlag } from './client-options.js';
import { idFromFileName, readJsonFile } from './document-file.js';
import { usage } from './exit-codes.js';
import { describeMatch, describeTarget, json, out, table } from './output.js';

export type ResourceKind = 'route' | 'backend' | 'filter';

const PLURAL: Record<ResourceKind, string> = { route: 'routes', backend: 'backends', filter: 'filters' };

export function resourceHelp(kind: ResourceKind): string {
  return `usage: junction ${kind} <subcommand> [flags]

  ${kind} list                     every ${kind} in the store, with its mod revision and problems
  ${kind} get ID                   the ${kind}'s document (JSON)
  ${kind} put [ID] FILE            write a ${kind} from a JSON file ("-" = stdin); ID defaults to
                                  the file's name without .json. Validated first (all errors shown)
      --if-match REV              only if it is still at mod revision REV (0: only if it does not exist)
      --dry-run                   validate only, write nothing
  ${kind} delete ID                delete it${kind === 'route' ? '' : ' (refused while a route uses it)'}
      --if-match REV              only if it is still at mod revision REV${kind === 'route' ? '' : `
      --force                     delete even though routes use it (they keep its last version)`}

${COMMON_HELP}`;
}

interface ListBody {
  items: Record<string, { modRevision: number; value?: Record<string, unknown>; raw?: string; issues?: Array<{ field?: string; message: string }> }>;
}

/** `junction route|backend|filter list|get|put|delete`. */
export async function resourceCommand(kind: ResourceKind, argv: readonly string[]): Promise<void> {
  const p = parseClientArgs(argv, { 'if-match': { type: 'string' }, 'dry-run': { type: 'boolean' }, force: { type: 'boolean' } }, kind);
  if (p.help) return out(resourceHelp(kind));
  const client = new AdminClient(p.common);
  const [sub, ...args] = p.positionals;
  const base = `/api/v1/${PLURAL[kind]}`;
  const id = (v: string | undefined): string => {
    if (v === undefined) throw usage(`${kind} ${sub ?? ''}: give the ${kind} id`);
    if (!ID_RE.test(v)) throw usage(`${JSON.stringify(v)} is not a valid id (lower-case letters, digits, _ . -; at most 63)`);
    return encodeURIComponent(v);
  };
  const ifMatch = revisionFlag(p.values, 'if-match');
  switch (sub) {
    case 'list': {
      expectArgs(args, 0, kind, sub);
      const { body } = await client.get<ListBody>(base);
      if (p.common.json) return out(json(body));
      const rows = Object.entries(body.items).map(([name, item]) => [name, ...summary(kind, item.value), item.modRevision, problems(item)]);
      const headers = kind === 'route' ? ['ID', 'MATCH', 'TARGET', 'PRIO', 'MODREV', 'PROBLEMS'] : kind === 'backend' ? ['ID', 'BALANCER', 'SERVERS', 'MODREV', 'PROBLEMS'] : ['ID', 'TYPE', 'MODREV', 'PROBLEMS'];
      return out(table(headers, rows));
    }
    case 'get': {
      expectArgs(args, 1, kind, sub);
      const { body, modRevision } = await client.get(`${base}/${id(args[0])}`);
      return out(json(p.common.json ? { id: args[0], modRevision, value: body } : body));
    }
    case 'put': {
      if (args.length < 1 || args.length > 2) throw usage(`${kind} put [ID] FILE: give a file (and optionally the id)`);
      const file = args[args.length - 1] as string;
      const name = args.length === 2 ? (args[0] as string) : idFromFileName(file);
      const doc = await readJsonFile(file);
      const dry = p.values['dry-run'] === true;
      const { body, status } = await client.put<{ created?: boolean; modRevision?: number; checkedAtRevision?: number }>(
        `${base}/${id(name)}${dry ? '?dryRun=1' : ''}`,
        doc,
        ifMatch,
      );
      if (p.common.json) return out(json(body));
      if (dry) return out(`${PLURAL[kind]}/${name} is valid (dry run, nothing written; it would be ${body.created ? 'created' : 'updated'})\n`);
      return out(`${PLURAL[kind]}/${name} ${status === 201 ? 'created' : 'updated'} (mod revision ${body.modRevision})\n`);
    }
    case 'delete': {
      expectArgs(args, 1, kind, sub);
      const query = p.values.force === true ? '?force=1' : '';
      const { body } = await client.delete<{ revision?: number; warning?: string }>(`${base}/${id(args[0])}${query}`, ifMatch);
      if (p.common.json) return out(json(body));
      if (body.warning) process.stderr.write(`junction: warning: ${body.warning}\n`);
      return out(`${PLURAL[kind]}/${args[0]} deleted (revision ${body.revision})\n`);
    }
    case undefined:
      throw usage(`${kind}: give a subcommand: list, get, put or delete (see junction ${kind} --help)`);
    default:
      throw usage(`${kind}: unknown subcommand ${JSON.stringify(sub)} (list, get, put, delete)`);
  }
}

export function expectArgs(args: readonly string[], n: number, kind: string, sub: string): void {
  if (args.length > n) throw usage(`${kind} ${sub}: unexpected argument ${JSON.stringify(args[n])}`);
  if (args.length < n) throw usage(`${kind} ${sub}: missing argument (see junction ${kind} --help)`);
}

function summary(kind: ResourceKind, v: Record<string, unknown> | undefined): Array<string | number> {
  if (v === undefined) return kind === 'route' ? ['(invalid JSON)', '', ''] : kind === 'backend' ? ['(invalid JSON)', ''] : ['(invalid JSON)'];
  if (kind === 'route') return [describeMatch(v.match as Record<string, unknown> | undefined), describeTarget(v), typeof v.priority === 'number' ? v.priority : 0];
  if (kind === 'backend') return [String(v.balancer ?? 'round-robin'), Array.isArray(v.servers) ? v.servers.length : 0];
  return [String(v.type ?? '?')];
}

function problems(item: ListBody['items'][string]): string {
  if (item.raw !== undefined) return 'not valid JSON';
  return (item.issues ?? []).map((i) => `${i.field ? `${i.field}: ` : ''}${i.message}`).join('; ') || '-';
}
