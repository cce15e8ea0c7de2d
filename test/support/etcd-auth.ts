/**
 * etcd authentication for tests, set up with `etcdctl` the way docs/stores.md tells an operator
 * to ("Securing the store connection"): a root user, the `junction` role of SPEC §9 (read on the
 * prefix; write on Junction's own keys only), a `junction-admin` role (write on the whole prefix,
 * for instances whose admin API changes configuration), then `auth enable`.
 */
import { spawn } from 'node:child_process';
import { etcdctl, type EtcdProcess } from './etcd.js';

export const ROOT_PASSWORD = 'root-pw-for-tests';

/** the keys under the prefix a Junction instance writes (SPEC §9), as `--prefix` permissions */
export const JUNCTION_OWN_KEYS = ['status/', 'locks/', 'acme-state/', 'certs/acme-', 'guards/', 'rollout-status/'];

/** etcdctl as root (once auth is enabled) */
export function rootctl(etcd: EtcdProcess, ...args: string[]): Promise<string> {
  return etcdctl(etcd, `--user=root:${ROOT_PASSWORD}`, ...args);
}

/** The roles `junction` and `junction-admin` on `prefix`, with the commands docs/stores.md gives. */
export async function addJunctionRoles(etcd: EtcdProcess, prefix = '/junction', as: string[] = []): Promise<void> {
  await etcdctl(etcd, ...as, 'role', 'add', 'junction');
  await etcdctl(etcd, ...as, 'role', 'grant-permission', 'junction', '--prefix=true', 'read', `${prefix}/`);
  for (const own of JUNCTION_OWN_KEYS) {
    await etcdctl(etcd, ...as, 'role', 'grant-permission', 'junction', '--prefix=true', 'readwrite', `${prefix}/${own}`);
  }
  await etcdctl(etcd, ...as, 'role', 'add', 'junction-admin');
  await etcdctl(etcd, ...as, 'role', 'grant-permission', 'junction-admin', '--prefix=true', 'readwrite', `${prefix}/`);
}

/** Adds a user with a password and roles (no role: a user that may read nothing). */
export async function addUser(etcd: EtcdProcess, name: string, password: string, roles: string[], as: string[] = []): Promise<void> {
  await etcdctl(etcd, ...as, 'user', 'add', name, `--new-user-password=${password}`);
  for (const role of roles) await etcdctl(etcd, ...as, 'user', 'grant-role', name, role);
}

/**
 * Enables authentication: root, the two roles, then `users` (name -> [password, roles]).
 * Afterwards only `rootctl` (or a user's credentials) can change anything.
 */
export async function enableAuth(etcd: EtcdProcess, users: Record<string, [string, string[]]>, prefix = '/junction'): Promise<void> {
  await addUser(etcd, 'root', ROOT_PASSWORD, ['root']);
  await addJunctionRoles(etcd, prefix);
  for (const [name, [password, roles]] of Object.entries(users)) await addUser(etcd, name, password, roles);
  await etcdctl(etcd, 'auth', 'enable');
}

/** `etcdctl user passwd` as root, the new password on stdin (as an operator would pipe it) */
export function setPassword(etcd: EtcdProcess, user: string, password: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const child = spawn('etcdctl', [...etcd.ctlFlags, `--user=root:${ROOT_PASSWORD}`, 'user', 'passwd', user, '--interactive=false'], {
      env: { ...process.env, ETCDCTL_API: '3' },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`etcdctl user passwd ${user} failed: ${err.trim()}`))));
    child.stdin.end(`${password}\n`);
  });
}
