/**
 * What a reader of the docs has open: one bash, in a folder that looks like a clone of the project
 * (bin/, dist/, filters/... linked to this checkout), where the blocks of one Markdown file are
 * pasted in order, so variables, exports and background jobs carry from block to block.
 *
 * Differences from the reader's terminal, all of them in this file:
 * - ports: every `localhost:N`, `127.0.0.1:N` or `0.0.0.0:N` in what runs is rewritten to a free
 *   port the session picked for N (8080 the proxy, 9090 the admin listener, 2379 etcd, any other
 *   an upstream the docs start), and the defaults a command uses when no address is written
 *   (`junction serve`'s listeners, the CLI's admin URL, etcd's and etcdctl's endpoints) are set
 *   to the same ports through their environment variables; `/tmp/` paths go to the session's own
 *   folder. So the test never needs the machine's 8080 or 9090, and never touches what runs there.
 * - `junction` is on PATH as `node <checkout>/bin/junction.js`, what README.md tells the reader to
 *   alias; `$EDITOR` is `true`; `junction serve` logs at `warn` (JUNCTION_LOG_LEVEL: less noise in
 *   failure messages; the access log is still on).
 * - commands read an empty stdin (a block is pasted, not typed into).
 * - `curl` is a wrapper around the real one: it refuses any non-loopback URL (documentation-range
 *   addresses must never be reached) unless the same command sends its host and port to loopback
 *   with `--connect-to NAME:PORT:127.0.0.1:PORT` (how the TLS examples ask for a name by SNI:
 *   `https://shop.example.com/` with `--connect-to shop.example.com:443:127.0.0.1:8443`), records
 *   every response's status for the test, shows no progress meter (as on a terminal), and gives
 *   a GET that the proxy answers 404 `no_route` or 503 `no_server` up to 3 s to be served: a write
 *   is applied within milliseconds, a reader never types fast enough to notice, a test does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { freePort } from '../support/etcd.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');
/** the shell functions the hidden set-ups and checks use (eventually, pad_revision) */
const PRELUDE = join(repo, 'test/docs/prelude.sh');

/** Things a reader's clone has, linked into the session folder. */
const CLONE_ENTRIES = ['bin', 'dist', 'filters', 'dashboard'];

function findOnPath(name: string): string {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (!dir) continue;
    try {
      const p = join(dir, name);
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  throw new Error(`${name} is not on PATH (the docs' examples use it; .ci/run installs it)`);
}

export interface Submission {
  /** false when a command failed (ERR trap) */
  readonly ok: boolean;
  /** what the shell printed on stdout during it (commands of sh blocks, trap messages) */
  readonly output: string;
  /** HTTP statuses the curl wrapper recorded during it: "<code> <url>" */
  readonly http: string[];
}

export interface ConsoleResult {
  readonly status: number;
  readonly output: string;
  readonly http: string[];
}

export class ShellSession {
  readonly dir: string;
  readonly cwd: string;
  private readonly shimDir: string;
  private readonly httpLog: string;
  private readonly ports = new Map<number, number>();
  private shell: ChildProcess | undefined;
  private stdout = '';
  /** the last 16 KiB of everything the shell and its background jobs printed */
  private tail = '';
  private httpSeen = 0;
  private waiters: Array<() => void> = [];
  /** kills what the shell started if the test process exits without stop() */
  private readonly killOnExit = (): void => {
    if (this.shell?.pid === undefined) return;
    try {
      process.kill(-this.shell.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };

  private constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'junction-docs-'));
    this.cwd = join(this.dir, 'clone');
    this.shimDir = join(this.dir, 'shim');
    this.httpLog = join(this.dir, 'http.log');
    mkdirSync(this.cwd);
    mkdirSync(this.shimDir);
    mkdirSync(join(this.dir, 'tmp'));
    writeFileSync(this.httpLog, '');
    for (const e of CLONE_ENTRIES) symlinkSync(join(repo, e), join(this.cwd, e));
    const shim = (name: string, text: string) => {
      writeFileSync(join(this.shimDir, name), text);
      chmodSync(join(this.shimDir, name), 0o755);
    };
    shim('junction', `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(repo, 'bin/junction.js'))} "$@"\n`);
    shim('curl', curlShim(findOnPath('curl')));
  }

  static async start(): Promise<ShellSession> {
    const s = new ShellSession();
    await s.spawnShell();
    return s;
  }

  /** The free port standing for port `docPort` of the docs in this session. */
  async port(docPort: number): Promise<number> {
    let p = this.ports.get(docPort);
    if (p === undefined) {
      const taken = new Set(this.ports.values());
      do p = await freePort();
      while (taken.has(p));
      this.ports.set(docPort, p);
    }
    return p;
  }

  /** Rewrites loopback ports and /tmp/ paths (see the file comment). */
  async rewrite(text: string): Promise<string> {
    for (const m of text.matchAll(/\b(?:localhost|127\.0\.0\.1|0\.0\.0\.0):(\d{2,5})\b/g)) await this.port(Number(m[1]));
    return text
      .replace(/\b(localhost|127\.0\.0\.1|0\.0\.0\.0):(\d{2,5})\b/g, (_all, host: string, port: string) => `${host === '0.0.0.0' ? '127.0.0.1' : host}:${this.ports.get(Number(port))}`)
      .replace(/(^|[\s'"=:])\/tmp\//gm, (_all, before: string) => `${before}${this.dir}/tmp/`);
  }

  /** Loopback ports (as the docs write them) that `text` names. */
  static portsIn(text: string): number[] {
    return [...new Set([...text.matchAll(/\b(?:localhost|127\.0\.0\.1|0\.0\.0\.0):(\d{2,5})\b/g)].map((m) => Number(m[1])))];
  }

  private async env(): Promise<NodeJS.ProcessEnv> {
    const [proxy, admin, etcd, peer] = [await this.port(8080), await this.port(9090), await this.port(2379), await this.port(2380)];
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!/^(JUNCTION_|ETCD_|ETCDCTL_)/.test(k)) env[k] = v;
    return {
      ...env,
      PATH: `${this.shimDir}:${process.env.PATH ?? ''}`,
      EDITOR: 'true',
      DOCS_TEST_HTTP_LOG: this.httpLog,
      DOCS_TEST_PROXY_PORT: String(proxy),
      JUNCTION_LISTEN: `127.0.0.1:${proxy}`,
      JUNCTION_ADMIN: `127.0.0.1:${admin}`,
      JUNCTION_ADMIN_URL: `http://127.0.0.1:${admin}`,
      JUNCTION_LOG_LEVEL: 'warn',
      ETCDCTL_API: '3',
      ETCDCTL_ENDPOINTS: `http://127.0.0.1:${etcd}`,
      ETCDCTL_DIAL_TIMEOUT: '3s',
      ETCD_NAME: 'default',
      ETCD_LISTEN_CLIENT_URLS: `http://127.0.0.1:${etcd}`,
      ETCD_ADVERTISE_CLIENT_URLS: `http://127.0.0.1:${etcd}`,
      ETCD_LISTEN_PEER_URLS: `http://127.0.0.1:${peer}`,
      ETCD_INITIAL_ADVERTISE_PEER_URLS: `http://127.0.0.1:${peer}`,
      ETCD_INITIAL_CLUSTER: `default=http://127.0.0.1:${peer}`,
      ETCD_LOG_LEVEL: 'error',
    };
  }

  private async spawnShell(): Promise<void> {
    const child = spawn('bash', ['--noprofile', '--norc'], { cwd: this.cwd, env: await this.env(), stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.shell = child;
    process.on('exit', this.killOnExit);
    this.stdout = '';
    const onData = (d: Buffer, isOut: boolean) => {
      const s = d.toString();
      if (isOut) this.stdout += s;
      this.tail = (this.tail + s).slice(-16_384);
      for (const w of this.waiters.splice(0)) w();
    };
    child.stdout?.on('data', (d: Buffer) => onData(d, true));
    child.stderr?.on('data', (d: Buffer) => onData(d, false));
    child.on('exit', () => {
      for (const w of this.waiters.splice(0)) w();
    });
    child.stdin?.write(`source ${JSON.stringify(PRELUDE)}\n`);
  }

  /** Everything recent the shell and its jobs printed, for failure messages. */
  recentOutput(): string {
    return this.tail;
  }

  private async waitFor(marker: string, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = this.stdout.indexOf(marker);
      if (at >= 0) {
        const end = this.stdout.indexOf('\n', at);
        if (end >= 0) {
          const text = this.stdout.slice(0, end + 1);
          this.stdout = this.stdout.slice(end + 1);
          return text;
        }
      }
      if (this.shell?.exitCode !== null || this.shell.signalCode !== null) throw new Error(`the shell exited:\n${this.tail}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no end of the commands after ${timeoutMs} ms:\n${this.tail}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 500));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  private newHttp(): string[] {
    const lines = readFileSync(this.httpLog, 'utf8').split('\n').filter(Boolean);
    const fresh = lines.slice(this.httpSeen);
    this.httpSeen = lines.length;
    return fresh;
  }

  /** Runs a script (already rewritten) in the shell, its stdin empty; resolves when it is done. */
  async run(script: string, timeoutMs = 60_000): Promise<Submission> {
    await checkSyntax(script);
    this.newHttp();
    const nonce = randomBytes(6).toString('hex');
    this.shell?.stdin?.write(`__docs_failed=0\n{\n${script}\n} </dev/null\nprintf '\\n\\036DOCS-END ${nonce} %d\\n' "$__docs_failed"\n`);
    const text = await this.waitFor(`\x1eDOCS-END ${nonce} `, timeoutMs);
    const m = new RegExp(`\\x1eDOCS-END ${nonce} (\\d+)\\n$`).exec(text);
    return { ok: m?.[1] === '0', output: text.replace(/\n?\x1eDOCS-END[^\n]*\n$/, ''), http: this.newHttp() };
  }

  /** Runs one transcript command (already rewritten): its status and its stdout+stderr. */
  async runCommand(command: string, timeoutMs = 60_000): Promise<ConsoleResult> {
    await checkSyntax(command);
    this.newHttp();
    const nonce = randomBytes(6).toString('hex');
    const out = join(this.dir, `out-${nonce}`);
    // the ERR trap is for sh blocks; here the status is the result. `(exit $s)` keeps $? for `echo $?`.
    this.shell?.stdin?.write(
      `__docs_console=1\n{\n${command}\n} </dev/null >${JSON.stringify(out)} 2>&1\n__docs_s=$?; __docs_console=; __docs_failed=0; printf '\\n\\036DOCS-END ${nonce} %d\\n' "$__docs_s"; (exit $__docs_s)\n`,
    );
    const text = await this.waitFor(`\x1eDOCS-END ${nonce} `, timeoutMs);
    const m = new RegExp(`\\x1eDOCS-END ${nonce} (\\d+)\\n$`).exec(text);
    let output = '';
    try {
      output = readFileSync(out, 'utf8');
      rmSync(out);
    } catch {
      // no output file: the command never ran
    }
    return { status: Number(m?.[1] ?? -1), output, http: this.newHttp() };
  }

  /** Starts a script (already rewritten) in the background, then waits until what it starts serves. */
  async startServers(script: string, original: string, timeoutMs = 40_000): Promise<void> {
    await checkSyntax(script);
    const nonce = randomBytes(6).toString('hex');
    this.shell?.stdin?.write(`{\n${script}\n} </dev/null &\nprintf '\\n\\036DOCS-END ${nonce} %d\\n' "$!"\n`);
    const text = await this.waitFor(`\x1eDOCS-END ${nonce} `, 10_000);
    const pid = Number(new RegExp(`\\x1eDOCS-END ${nonce} (\\d+)`).exec(text)?.[1]);
    const deadline = Date.now() + timeoutMs;
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    const until = async (what: string, check: () => Promise<boolean>) => {
      while (!(await check())) {
        if (Date.now() > deadline) throw new Error(`${what} not ready within ${timeoutMs} ms${alive() ? '' : ' (the servers block has exited)'}:\n${this.tail}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const startsEtcd = /(^|[;&|(]\s*|\n\s*)etcd(\s|$)/m.test(original);
    const startsJunction = /\bserve\b/.test(original) && /(junction|bin\/junction\.js)\b/.test(original);
    for (const docPort of ShellSession.portsIn(original)) {
      const p = await this.port(docPort);
      await until(`port ${docPort} (${p})`, () => accepts(p));
    }
    if (startsEtcd) {
      const p = await this.port(2379);
      // an etcd serving clients over TLS (its flag, or the environment variable that etcd also
      // reads) may require a client certificate even for /health: a TLS handshake shows it serves
      if (/(--listen-client-urls[= ]|ETCD_LISTEN_CLIENT_URLS=)['"]?https:/.test(original)) await until('etcd (TLS)', () => tlsHandshake(p));
      else await until('etcd', async () => (await httpGet(`http://127.0.0.1:${p}/health`)).includes('"true"'));
    }
    if (startsJunction) {
      const p = await this.port(9090);
      await until('junction /readyz', async () => (await httpStatus(`http://127.0.0.1:${p}/readyz`)) === 200);
    }
  }

  /** Stops the shell and everything it started (its process group), SIGTERM then SIGKILL. */
  async stop(): Promise<void> {
    const child = this.shell;
    if (child?.pid === undefined) return;
    const group = -child.pid;
    const signal = (s: NodeJS.Signals) => {
      try {
        process.kill(group, s);
        return true;
      } catch {
        return false;
      }
    };
    child.stdin?.end();
    if (signal('SIGTERM')) {
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        try {
          process.kill(group, 0);
        } catch {
          break;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      signal('SIGKILL');
    }
    process.removeListener('exit', this.killOnExit);
    this.shell = undefined;
  }

  /** A new shell on new ports, as after closing the terminal and opening another one. */
  async reset(): Promise<void> {
    await this.stop();
    this.ports.clear();
    await this.spawnShell();
  }

  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function checkSyntax(script: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-n'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`bash -n: ${err.trim()}`))));
    child.stdin.end(script);
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** true once a TLS server on the port completes a handshake (its certificate is not checked) */
function tlsHandshake(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false, ALPNProtocols: ['h2'], timeout: 1000 });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.once('secureConnect', () => done(true));
    s.once('error', () => done(false));
    s.once('timeout', () => done(false));
  });
}

async function httpGet(url: string): Promise<string> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    return await res.text();
  } catch {
    return '';
  }
}

async function httpStatus(url: string): Promise<number> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

/** The curl wrapper (see the file comment). */
function curlShim(real: string): string {
  return `#!/usr/bin/env bash
# docs-test curl: refuses non-loopback URLs, records statuses in $DOCS_TEST_HTTP_LOG, no progress meter,
# and gives a GET the proxy answers 404 no_route / 503 no_server up to 3 s to be served.
real=${JSON.stringify(real)}
get=1
# "--connect-to NAME:PORT:127.0.0.1:PORT" (or localhost) sends NAME:PORT to loopback: such a URL is allowed
routed=" "
prev=
for a in "$@"; do
  if [ "$prev" = --connect-to ] && [[ "$a" =~ ^([^:]+):([0-9]+):(127\\.[0-9.]+|localhost):[0-9]+$ ]]; then
    routed+="\${BASH_REMATCH[1],,}:\${BASH_REMATCH[2]} "
  fi
  prev=$a
done
for a in "$@"; do
  if [[ "$a" =~ ^([A-Za-z][A-Za-z0-9+.-]*)://([^/?#@]*@)?(\\[[^]]*\\]|[^/?#:]*)(:([0-9]+))? ]]; then
    scheme=\${BASH_REMATCH[1],,}
    host=\${BASH_REMATCH[3]}
    port=\${BASH_REMATCH[5]}
    [ -n "$port" ] || { [ "$scheme" = https ] && port=443 || port=80; }
    case "$host" in
      localhost|127.*|'[::1]') ;;
      *) if [[ "$routed" != *" \${host,,}:$port "* ]]; then
           echo "docs-test: curl $a: not a loopback address; an example that reaches it must be marked norun (or --connect-to it to 127.0.0.1)" >&2; exit 97
         fi ;;
    esac
  fi
  case "$a" in -X|--request|-d|--data*|-F|--form|-T|--upload-file|-I|--head) get=0 ;; esac
done
err=$(mktemp)
out=$(mktemp)
for try in $(seq 30); do
  "$real" --no-progress-meter -w $'%{stderr}\\036%{http_code} %{url_effective}\\n' "$@" >"$out" 2>"$err"
  rc=$?
  last=$(grep -a $'\\036' "$err" | tail -1 | sed 's/.*\\x1e//')
  code=\${last%% *}
  if [ "$get" = 1 ] && [ "$rc" = 0 ] && [[ "$last" == *":$DOCS_TEST_PROXY_PORT"* ]] && { [ "$code" = 404 ] || [ "$code" = 503 ]; } && grep -qE '"error": *"(no_route|no_server)"' "$out"; then
    sleep 0.1
    continue
  fi
  break
done
cat "$out"
grep -a $'\\036' "$err" | sed 's/.*\\x1e//' >> "$DOCS_TEST_HTTP_LOG"
grep -av $'\\036' "$err" | sed '/^$/d' >&2
rm -f "$err" "$out"
exit $rc
`;
}
