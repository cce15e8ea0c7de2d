import { parseArgs, type ParseArgsConfig } from 'node:util';
import { usage } from './exit-codes.js';
import type { ClientOptions } from './admin-client.js';

export interface CommonOptions extends ClientOptions {
  readonly json: boolean;
}

type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

const COMMON: OptionSpecs = {
  'admin-url': { type: 'string' },
  'admin-token': { type: 'string' },
  json: { type: 'boolean' },
  'timeout-ms': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

export interface Parsed {
  readonly common: CommonOptions;
  readonly values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  readonly positionals: string[];
  readonly help: boolean;
}

/**
 * Parses a client command's arguments: the shared flags (`--admin-url`, env JUNCTION_ADMIN_URL,
 * default http://127.0.0.1:9090; `--admin-token`, env JUNCTION_ADMIN_TOKEN; `--json`;
 * `--timeout-ms`) plus the command's own. A flag wins over its environment variable.
 */
export function parseClientArgs(argv: readonly string[], options: OptionSpecs, what: string, env: NodeJS.ProcessEnv = process.env): Parsed {
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options: { ...COMMON, ...options }, strict: true, allowPositionals: true, allowNegative: false } as ParseArgsConfig) as typeof parsed;
  } catch (err) {
    throw usage(`${(err as Error).message.replace(/\. To specify.*$/s, '')} (see junction ${what} --help)`);
  }
  const v = parsed.values;
  const str = (name: string): string | undefined => (typeof v[name] === 'string' ? (v[name] as string) : undefined);
  const adminUrl = (str('admin-url') ?? nonEmpty(env.JUNCTION_ADMIN_URL) ?? 'http://127.0.0.1:9090').replace(/\/+$/, '');
  let u: URL;
  try {
    u = new URL(adminUrl);
  } catch {
    throw usage(`--admin-url ${JSON.stringify(adminUrl)}: expected a URL like http://127.0.0.1:9090`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw usage(`--admin-url ${JSON.stringify(adminUrl)}: expected an http:// or https:// URL`);
  const timeoutRaw = str('timeout-ms') ?? '10000';
  if (!/^\d+$/.test(timeoutRaw) || Number(timeoutRaw) < 1 || Number(timeoutRaw) > 600_000) {
    throw usage(`--timeout-ms ${JSON.stringify(timeoutRaw)}: expected a whole number from 1 to 600000`);
  }
  return {
    common: {
      adminUrl,
      token: str('admin-token') ?? nonEmpty(env.JUNCTION_ADMIN_TOKEN),
      json: v.json === true,
      timeoutMs: Number(timeoutRaw),
    },
    values: v as Parsed['values'],
    positionals: parsed.positionals,
    help: v.help === true,
  };
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}

export function stringFlag(values: Parsed['values'], name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/** `--if-match 12` */
export function revisionFlag(values: Parsed['values'], name: string): number | undefined {
  const raw = stringFlag(values, name);
  if (raw === undefined) return undefined;
  const m = /^"?(\d{1,15})"?$/.exec(raw);
  if (!m) throw usage(`--${name} ${JSON.stringify(raw)}: expected a mod revision (a whole number)`);
  return Number(m[1]);
}

export const COMMON_HELP = `common flags:
  --admin-url URL       admin API (default http://127.0.0.1:9090)          JUNCTION_ADMIN_URL
  --admin-token TOKEN   bearer token, when the admin API has one            JUNCTION_ADMIN_TOKEN
  --json                print the API's JSON instead of tables
  --timeout-ms N        give up on the admin API after N ms (10000)
`;
