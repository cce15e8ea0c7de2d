import { readFile } from 'node:fs/promises';
import { ID_RE } from '../../config/ids.js';
import { AdminClient } from './admin-client.js';
import { COMMON_HELP, parseClientArgs, revisionFlag } from './client-options.js';
import { usage } from './exit-codes.js';
import { json, out, table } from './output.js';
import { expectArgs } from './resource-command.js';

export const CERT_HELP = `usage: junction cert <subcommand> [flags]

  cert list                       every certificate in the store: names, expiry, default, problems
  cert get ID                     what the certificate's leaf says (JSON; never its key)
  cert put ID CERT.pem KEY.pem    write a certificate: CERT.pem holds the leaf, then its chain;
                                  KEY.pem the leaf's private key, unencrypted. Validated first
                                  (all errors shown); it replaces the whole certs/ID document
      --default                   serve it when no certificate's names cover the name asked for
      --if-match REV              only if it is still at mod revision REV (0: only if it does not exist)
      --dry-run                   validate only, write nothing
  cert delete ID                  delete it (a rotation: put the new certificate first, delete the
                                  old one later: where both cover a name, the later expiry serves)
      --if-match REV              only if it is still at mod revision REV

${COMMON_HELP}`;

interface CertItem {
  modRevision: number;
  value?: { sans: string[] | null; notAfter: string | null; default: boolean };
  error?: string;
  issues?: Array<{ field?: string; message: string }>;
}

/** `junction cert list|get|put|delete`: certificates through the admin API, which never answers their keys. */
export async function certCommand(argv: readonly string[]): Promise<void> {
  const p = parseClientArgs(argv, { 'if-match': { type: 'string' }, 'dry-run': { type: 'boolean' }, default: { type: 'boolean' } }, 'cert');
  if (p.help) return out(CERT_HELP);
  const client = new AdminClient(p.common);
  const [sub, ...args] = p.positionals;
  const id = (v: string | undefined): string => {
    if (v === undefined) throw usage(`cert ${sub ?? ''}: give the certificate id`);
    if (!ID_RE.test(v)) throw usage(`${JSON.stringify(v)} is not a valid id (lower-case letters, digits, _ . -; at most 63)`);
    return encodeURIComponent(v);
  };
  const ifMatch = revisionFlag(p.values, 'if-match');
  switch (sub) {
    case 'list': {
      expectArgs(args, 0, 'cert', sub);
      const { body } = await client.get<{ items: Record<string, CertItem> }>('/api/v1/certs');
      if (p.common.json) return out(json(body));
      const now = Date.now();
      const rows = Object.entries(body.items).map(([name, item]) => {
        const v = item.value;
        const days = v?.notAfter ? Math.floor((Date.parse(v.notAfter) - now) / 86_400_000) : undefined;
        return [
          name,
          v?.sans ? v.sans.join(',') || '-' : '?',
          v?.notAfter ?? '?',
          days === undefined ? '?' : days,
          v?.default ? 'yes' : '-',
          item.modRevision,
          item.error === 'invalid_json' ? 'not valid JSON' : (item.issues ?? []).map((i) => `${i.field ? `${i.field}: ` : ''}${i.message}`).join('; ') || '-',
        ];
      });
      return out(table(['ID', 'NAMES', 'NOT AFTER', 'DAYS', 'DEFAULT', 'MODREV', 'PROBLEMS'], rows));
    }
    case 'get': {
      expectArgs(args, 1, 'cert', sub);
      const { body, modRevision } = await client.get(`/api/v1/certs/${id(args[0])}`);
      return out(json(p.common.json ? { id: args[0], modRevision, value: body } : body));
    }
    case 'put': {
      expectArgs(args, 3, 'cert', sub);
      const [name, certFile, keyFile] = args as [string, string, string];
      const doc = { cert: await readPem(certFile), key: await readPem(keyFile), ...(p.values.default === true ? { default: true } : {}) };
      const dry = p.values['dry-run'] === true;
      const { body, status } = await client.put<{ created?: boolean; modRevision?: number }>(`/api/v1/certs/${id(name)}${dry ? '?dryRun=1' : ''}`, doc, ifMatch);
      if (p.common.json) return out(json(body));
      if (dry) return out(`certs/${name} is valid (dry run, nothing written; it would be ${body.created ? 'created' : 'updated'})\n`);
      return out(`certs/${name} ${status === 201 ? 'created' : 'updated'} (mod revision ${body.modRevision})\n`);
    }
    case 'delete': {
      expectArgs(args, 1, 'cert', sub);
      const { body } = await client.delete<{ revision?: number }>(`/api/v1/certs/${id(args[0])}`, ifMatch);
      if (p.common.json) return out(json(body));
      return out(`certs/${args[0]} deleted (revision ${body.revision})\n`);
    }
    case undefined:
      throw usage('cert: give a subcommand: list, get, put or delete (see junction cert --help)');
    default:
      throw usage(`cert: unknown subcommand ${JSON.stringify(sub)} (list, get, put, delete)`);
  }
}

/** A PEM file as text; unreadable: a usage error (exit 2). */
async function readPem(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw usage(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
