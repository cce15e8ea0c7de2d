import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import type { ServeOptions } from '../serve-options.js';
import { isLoopback, parseHostPort } from './host-port.js';
import { compileTrust } from '../http/forwarded.js';
import { etcdSecurity, NO_PASSWORD_FLAG } from './etcd-flags.js';
import { UsageError } from './usage-error.js';

export type { ServeOptions };


/** Every flag, its type, and the environment variable that also sets it (docs/operations.md). */
const FLAGS = {
  listen: { type: 'string', env: 'JUNCTION_LISTEN', default: '0.0.0.0:8080' },
  'listen-tls': { type: 'string', env: 'JUNCTION_LISTEN_TLS' },
  admin: { type: 'string', env: 'JUNCTION_ADMIN', default: '127.0.0.1:9090' },
  etcd: { type: 'string', env: 'JUNCTION_ETCD' },
  'etcd-ca': { type: 'string', env: 'JUNCTION_ETCD_CA' },
  'etcd-cert': { type: 'string', env: 'JUNCTION_ETCD_CERT' },
  'etcd-key': { type: 'string', env: 'JUNCTION_ETCD_KEY' },
  'etcd-user': { type: 'string', env: 'JUNCTION_ETCD_USER' },
  'etcd-password-file': { type: 'string', env: 'JUNCTION_ETCD_PASSWORD_FILE' },
  prefix: { type: 'string', env: 'JUNCTION_PREFIX', default: '/junction' },
  'data-dir': { type: 'string', env: 'JUNCTION_DATA_DIR', default: './.junction' },
  'filters-dir': { type: 'string', env: 'JUNCTION_FILTERS_DIR' },
  'admin-token': { type: 'string', env: 'JUNCTION_ADMIN_TOKEN' },
  'instance-id': { type: 'string', env: 'JUNCTION_INSTANCE_ID' },
  workers: { type: 'string', env: 'JUNCTION_WORKERS', default: '1' },
  demo: { type: 'boolean', env: 'JUNCTION_DEMO' },
  'demo-upstreams': { type: 'string', env: 'JUNCTION_DEMO_UPSTREAMS' },
  'log-level': { type: 'string', env: 'JUNCTION_LOG_LEVEL', default: 'info' },
  'access-log': { type: 'string', env: 'JUNCTION_ACCESS_LOG', default: 'on' },
  'shutdown-timeout-ms': { type: 'string', env: 'JUNCTION_SHUTDOWN_TIMEOUT_MS', default: '10000' },
  'filter-budget-ms': { type: 'string', env: 'JUNCTION_FILTER_BUDGET_MS', default: '5000' },
  'trusted-proxies': { type: 'string', env: 'JUNCTION_TRUSTED_PROXIES' },
  'merge-slashes': { type: 'string', env: 'JUNCTION_MERGE_SLASHES', default: 'on' },
  'escaped-slashes': { type: 'string', env: 'JUNCTION_ESCAPED_SLASHES', default: 'reject' },
  'acme-directory': { type: 'string', env: 'JUNCTION_ACME_DIRECTORY' },
  'acme-email': { type: 'string', env: 'JUNCTION_ACME_EMAIL' },
  'acme-ca-file': { type: 'string', env: 'JUNCTION_ACME_CA_FILE' },
} as const;

type FlagName = keyof typeof FLAGS;

export const SERVE_HELP = `usage: junction serve [flags]

  --listen HOST:PORT|off    proxy listener, plain HTTP (0.0.0.0:8080)        JUNCTION_LISTEN
  --listen-tls HOST:PORT    TLS listener: HTTP/2 + HTTP/1.1, certs by SNI    JUNCTION_LISTEN_TLS
  --admin HOST:PORT         admin API, /metrics, dashboard (127.0.0.1:9090)  JUNCTION_ADMIN
  --etcd URL[,URL...]       etcd endpoints; without it the embedded store    JUNCTION_ETCD
  --etcd-ca FILE            CA to trust for https:// endpoints (system's)    JUNCTION_ETCD_CA
  --etcd-cert FILE          client certificate for etcd, with --etcd-key     JUNCTION_ETCD_CERT
  --etcd-key FILE           its private key                                  JUNCTION_ETCD_KEY
  --etcd-user USER          etcd user, for a cluster with auth enabled       JUNCTION_ETCD_USER
  --etcd-password-file FILE that user's password (or JUNCTION_ETCD_PASSWORD) JUNCTION_ETCD_PASSWORD_FILE
  --prefix /junction        key prefix                                       JUNCTION_PREFIX
  --data-dir DIR            embedded store directory (./.junction)           JUNCTION_DATA_DIR
  --filters-dir DIR         extra filter modules, hot-reloaded               JUNCTION_FILTERS_DIR
  --admin-token TOKEN       bearer token for /api/                           JUNCTION_ADMIN_TOKEN
  --instance-id ID          this instance's id (hostname-pid)                JUNCTION_INSTANCE_ID
  --workers N               processes sharing the listener (1)               JUNCTION_WORKERS
  --demo                    start three demo upstreams and a demo config     JUNCTION_DEMO
  --demo-upstreams U,U,U    with --demo: stable,canary,shadow URLs to use    JUNCTION_DEMO_UPSTREAMS
                            instead of starting upstreams in-process
  --log-level LEVEL         fatal|error|warn|info|debug|trace|silent (info)  JUNCTION_LOG_LEVEL
  --access-log on|off       one JSON line per request on stdout (on)         JUNCTION_ACCESS_LOG
  --shutdown-timeout-ms N   how long SIGTERM waits for in-flight (10000)     JUNCTION_SHUTDOWN_TIMEOUT_MS
  --filter-budget-ms N      time a route's filters may take per phase (5000) JUNCTION_FILTER_BUDGET_MS
  --trusted-proxies LIST    CIDRs whose X-Forwarded-* are kept (none)        JUNCTION_TRUSTED_PROXIES
  --merge-slashes on|off    //a//b is /a/b before routing (on)               JUNCTION_MERGE_SLASHES
  --escaped-slashes reject|keep  %2F or %5C in a path: 400, or kept (reject) JUNCTION_ESCAPED_SLASHES
  --acme-directory URL      ACME server: certificates for P/acme/<id> specs  JUNCTION_ACME_DIRECTORY
  --acme-email EMAIL        the ACME account's contact (none)                JUNCTION_ACME_EMAIL
  --acme-ca-file FILE       CA to trust for a private ACME server (system's) JUNCTION_ACME_CA_FILE
`;

/** `--acme-*`: the directory URL checked, the CA file read (a bad one exits 2 at start, not at the first order). */
function acmeFlags(directory: string | undefined, email: string | undefined, caFile: string | undefined): ServeOptions['acme'] {
  if (directory === undefined) {
    if (email !== undefined) throw new UsageError('--acme-email needs --acme-directory, the ACME server to register with');
    if (caFile !== undefined) throw new UsageError('--acme-ca-file needs --acme-directory, the ACME server whose certificate it checks');
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(directory);
  } catch {
    throw new UsageError(`--acme-directory ${JSON.stringify(directory)}: expected the URL of an ACME directory, like https://acme-v02.api.letsencrypt.org/directory`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError(`--acme-directory ${JSON.stringify(directory)}: expected an https:// URL`);
  if (email !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) throw new UsageError(`--acme-email ${JSON.stringify(email)}: expected an email address`);
  let ca: string | undefined;
  if (caFile !== undefined) {
    try {
      ca = readFileSync(caFile, 'utf8');
    } catch (err) {
      throw new UsageError(`--acme-ca-file ${caFile}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    try {
      new X509Certificate(ca);
    } catch {
      throw new UsageError(`--acme-ca-file ${caFile}: no PEM certificate in it`);
    }
  }
  return { directoryUrl: directory, email, ca };
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Parses `serve` flags; a flag wins over its environment variable, which wins over the default. */
export function parseServeOptions(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ServeOptions {
  const options = Object.fromEntries(Object.entries(FLAGS).map(([name, f]) => [name, { type: f.type }])) as Record<
    FlagName,
    { type: 'string' | 'boolean' }
  >;
  let values: Record<string, string | boolean | undefined>;
  if (argv.some((a) => a === '--etcd-password' || a.startsWith('--etcd-password='))) throw new UsageError(NO_PASSWORD_FLAG);
  try {
    ({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message.replace(/\. To specify.*$/s, '')} (see junction serve --help)`);
  }
  const get = (name: FlagName): string | undefined => {
    const v = values[name];
    if (typeof v === 'string') return v;
    const e = env[FLAGS[name].env];
    if (e !== undefined && e !== '') return e;
    return 'default' in FLAGS[name] ? (FLAGS[name] as { default: string }).default : undefined;
  };
  const bool = (name: FlagName): boolean => {
    const v = values[name];
    if (typeof v === 'boolean') return v;
    const e = env[FLAGS[name].env];
    if (e === undefined || e === '') return false;
    if (/^(1|true|yes|on)$/i.test(e)) return true;
    if (/^(0|false|no|off)$/i.test(e)) return false;
    throw new UsageError(`${FLAGS[name].env}=${JSON.stringify(e)}: expected true or false`);
  };
  const int = (name: FlagName, min: number, max: number): number => {
    const raw = get(name) as string;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      throw new UsageError(`--${name} ${JSON.stringify(raw)}: expected a whole number from ${min} to ${max}`);
    }
    return Number(raw);
  };

  const listenRaw = get('listen') as string;
  const listen = listenRaw === 'off' ? undefined : parseHostPort('listen', listenRaw);
  const tlsRaw = get('listen-tls');
  const listenTls = tlsRaw === undefined || tlsRaw === '' ? undefined : parseHostPort('listen-tls', tlsRaw);
  if (listen === undefined && listenTls === undefined) throw new UsageError('--listen off needs --listen-tls: Junction needs a way in');
  const admin = parseHostPort('admin', get('admin') as string);
  const etcdRaw = get('etcd');
  const etcd = etcdRaw === undefined ? undefined : etcdRaw.split(',').map((s) => s.trim()).filter(Boolean);
  if (etcd !== undefined) {
    if (etcd.length === 0) throw new UsageError('--etcd: give at least one endpoint, e.g. http://127.0.0.1:2379');
    for (const url of etcd) {
      if (!/^https?:\/\/[^/\s]+\/?$/.test(url)) throw new UsageError(`--etcd ${JSON.stringify(url)}: expected an endpoint like http://127.0.0.1:2379`);
    }
  }
  const { etcdTls, etcdAuth } = etcdSecurity(etcd, {
    ca: get('etcd-ca'),
    cert: get('etcd-cert'),
    key: get('etcd-key'),
    user: get('etcd-user'),
    passwordFile: get('etcd-password-file'),
    // empty is unset, as for every variable here
    passwordEnv: env['JUNCTION_ETCD_PASSWORD'] || undefined,
  });
  const prefix = (get('prefix') as string).replace(/\/+$/, '');
  if (!prefix.startsWith('/') || prefix.length < 2 || /\s/.test(prefix)) {
    throw new UsageError(`--prefix ${JSON.stringify(get('prefix'))}: expected a key prefix like /junction`);
  }
  const instanceId = get('instance-id') ?? `${hostname()}-${process.pid}`;
  if (!/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/.test(instanceId)) {
    throw new UsageError(`--instance-id ${JSON.stringify(instanceId)}: letters, digits, _ . : - only (at most 128)`);
  }
  const logLevel = get('log-level') as string;
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new UsageError(`--log-level ${JSON.stringify(logLevel)}: expected one of ${LOG_LEVELS.join(', ')}`);
  }
  const accessLog = get('access-log') as string;
  if (!/^(on|off)$/.test(accessLog)) throw new UsageError(`--access-log ${JSON.stringify(accessLog)}: expected on or off`);
  const mergeSlashes = get('merge-slashes') as string;
  if (!/^(on|off)$/.test(mergeSlashes)) throw new UsageError(`--merge-slashes ${JSON.stringify(mergeSlashes)}: expected on or off`);
  const escapedSlashes = get('escaped-slashes') as string;
  if (escapedSlashes !== 'reject' && escapedSlashes !== 'keep') {
    throw new UsageError(`--escaped-slashes ${JSON.stringify(escapedSlashes)}: expected reject or keep`);
  }
  // an empty token (`--admin-token=`, as `JUNCTION_ADMIN_TOKEN=`) is no token: it must not pass
  // the guard below and then leave /api/ open
  const adminToken = get('admin-token') || undefined;
  if (adminToken !== undefined && adminToken.trim() !== adminToken) {
    throw new UsageError('--admin-token (or JUNCTION_ADMIN_TOKEN): a token cannot begin or end with whitespace (the Authorization header is read trimmed)');
  }
  if (adminToken === undefined && !isLoopback(admin.host)) {
    throw new UsageError(
      `--admin ${admin.host}:${admin.port} is not a loopback address: set --admin-token (or JUNCTION_ADMIN_TOKEN) before exposing the admin API`,
    );
  }
  const demoRaw = get('demo-upstreams');
  const demoUpstreams = demoRaw === undefined ? undefined : demoRaw.split(',').map((u) => u.trim());
  if (demoUpstreams !== undefined && (demoUpstreams.length !== 3 || demoUpstreams.some((u) => !/^https?:\/\/[^/\s]+\/?$/.test(u)))) {
    throw new UsageError(`--demo-upstreams ${JSON.stringify(demoRaw)}: expected three URLs (stable,canary,shadow) like http://host:8081`);
  }
  const trustedRaw = get('trusted-proxies');
  const trustedProxies = trustedRaw === undefined ? undefined : trustedRaw.split(',').map((t) => t.trim()).filter(Boolean);
  if (trustedProxies !== undefined) {
    try {
      compileTrust(trustedProxies);
    } catch (err) {
      throw new UsageError(`--trusted-proxies ${JSON.stringify(trustedRaw)}: ${(err as Error).message}`);
    }
  }
  const acme = acmeFlags(get('acme-directory'), get('acme-email'), get('acme-ca-file'));
  return {
    listen,
    listenTls,
    acme,
    admin,
    etcd,
    etcdTls,
    etcdAuth,
    prefix,
    dataDir: get('data-dir') as string,
    filtersDir: get('filters-dir'),
    adminToken,
    instanceId,
    workers: int('workers', 1, 64),
    demo: bool('demo'),
    demoUpstreams,
    logLevel: logLevel as ServeOptions['logLevel'],
    accessLog: accessLog === 'on',
    shutdownTimeoutMs: int('shutdown-timeout-ms', 0, 600_000),
    filterBudgetMs: int('filter-budget-ms', 1, 600_000),
    trustedProxies,
    paths: { mergeSlashes: mergeSlashes === 'on', escapedSlashes },
  };
}
