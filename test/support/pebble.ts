/**
 * A real ACME server for tests: Debian's `pebble` (RFC 8555, Let's Encrypt's test server) with
 * `pebble-challtestsrv` as its DNS, both on free loopback ports. Every name resolves to 127.0.0.1
 * (`setA` points one elsewhere), and pebble validates HTTP-01 challenges on `httpPort` — the plain
 * listener of the Junction under test. Its own HTTPS is served with a certificate from a TestCa,
 * whose PEM is in `caFile` (Junction's `--acme-ca-file`). Processes are SIGKILLed on stop and when
 * the test process exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './etcd.js';
import { TestCa } from './test-ca.js';
import { waitFor } from './wait.js';

export interface PebbleOptions {
  /** the port pebble connects to for HTTP-01 (on the address the name resolves to) */
  readonly httpPort: number;
  /** seconds a certificate is valid (pebble's default: about 5 years) */
  readonly validitySeconds?: number;
  /** pebble's own env: e.g. PEBBLE_VA_SLEEPTIME; PEBBLE_VA_NOSLEEP=1 is set unless overridden */
  readonly env?: Record<string, string>;
}

export interface Pebble {
  /** the ACME directory URL (`--acme-directory`) */
  readonly directory: string;
  /** the CA of pebble's own HTTPS, a file (`--acme-ca-file`) and its PEM */
  readonly caFile: string;
  readonly caPem: string;
  /** makes the mock DNS answer `host` with `address` (e.g. 127.0.0.2, where nothing listens) */
  setA(host: string, address: string): Promise<void>;
  clearA(host: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startPebble(opts: PebbleOptions): Promise<Pebble> {
  const dir = mkdtempSync(join(tmpdir(), 'junction-pebble-'));
  const ca = new TestCa('Pebble HTTPS Test CA');
  const own = ca.issue(['localhost']);
  writeFileSync(join(dir, 'cert.pem'), own.cert);
  writeFileSync(join(dir, 'key.pem'), own.key);
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, ca.cert);
  ca.dispose();
  const [dnsPort, mgmtPort, acmePort, pebbleMgmt, tlsPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  writeFileSync(
    join(dir, 'pebble.json'),
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${acmePort}`,
        managementListenAddress: `127.0.0.1:${pebbleMgmt}`,
        certificate: join(dir, 'cert.pem'),
        privateKey: join(dir, 'key.pem'),
        httpPort: opts.httpPort,
        tlsPort,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
        ...(opts.validitySeconds === undefined ? {} : { certificateValidityPeriod: opts.validitySeconds }),
      },
    }),
  );
  const children: ChildProcess[] = [];
  const killAll = (): void => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  };
  process.on('exit', killAll);
  const launch = (cmd: string, args: string[], env: Record<string, string> = {}): ChildProcess => {
    const child = spawn(cmd, args, { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
    child.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL' && code !== 0) process.stderr.write(`${cmd} exited (${code ?? signal}):\n${out}\n`);
    });
    children.push(child);
    return child;
  };
  launch('pebble-challtestsrv', [
    '-dns01', `127.0.0.1:${dnsPort}`,
    '-http01', '',
    '-https01', '',
    '-tlsalpn01', '',
    '-management', `127.0.0.1:${mgmtPort}`,
    '-defaultIPv4', '127.0.0.1',
    '-defaultIPv6', '',
  ]);
  launch('pebble', ['-config', join(dir, 'pebble.json'), '-dnsserver', `127.0.0.1:${dnsPort}`], { PEBBLE_VA_NOSLEEP: '1', ...opts.env });
  const directory = `https://127.0.0.1:${acmePort}/dir`;
  await waitFor('pebble serves its directory', () => fetchOk(directory, ca.cert), 15_000, 100);
  await waitFor('pebble-challtestsrv answers', () => mgmt(mgmtPort, '/clear-a', { host: 'ready.test.' }).then(() => true, () => false), 15_000, 100);
  return {
    directory,
    caFile,
    caPem: ca.cert,
    setA: (host, address) => mgmt(mgmtPort, '/add-a', { host: host.endsWith('.') ? host : `${host}.`, addresses: [address] }),
    clearA: (host) => mgmt(mgmtPort, '/clear-a', { host: host.endsWith('.') ? host : `${host}.` }),
    stop: async () => {
      process.removeListener('exit', killAll);
      await Promise.all(
        children.map(
          (c) =>
            new Promise<void>((resolve) => {
              if (c.exitCode !== null || c.signalCode !== null) return resolve();
              c.once('exit', () => resolve());
              c.kill('SIGKILL');
            }),
        ),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function fetchOk(url: string, ca: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpsRequest(url, { ca, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

function mgmt(port: number, path: string, body: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'POST', timeout: 2000 }, (res) => {
      res.resume();
      if (res.statusCode === 200) resolve();
      else reject(new Error(`challtestsrv ${path}: ${res.statusCode}`));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end(JSON.stringify(body));
  });
}
