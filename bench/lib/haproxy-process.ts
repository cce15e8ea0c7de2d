import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HAPROXY_BIN } from '../baselines/haproxy-probe-config.js';
import { awaitServing } from './await-serving.js';
import { freePort } from './free-port.js';
import type { Managed, ProcessGroup } from './process-group.js';

export interface HaproxyProc {
  readonly managed: Managed;
  readonly url: string;
  readonly port: number;
}

/**
 * Starts HAProxy in the foreground (`-db`) with the configuration `config(listenPort)` written into
 * a temp dir, after `haproxy -c` has accepted it, and waits until `GET /` answers 200.
 */
export async function startHaproxyWith(group: ProcessGroup, label: string, config: (listenPort: number) => string): Promise<HaproxyProc> {
  const dir = group.tempDir(label);
  const port = await freePort();
  const conf = join(dir, 'haproxy.cfg');
  writeFileSync(conf, config(port));
  const check = spawnSync(HAPROXY_BIN, ['-c', '-q', '-f', conf], { encoding: 'utf8', timeout: 10_000 });
  if (check.status !== 0) throw new Error(`haproxy -c refused ${conf}:\n${check.stderr}${check.stdout}`);
  const managed = group.spawn(label, HAPROXY_BIN, ['-db', '-f', conf], { stdout: 'capture', stderr: 'capture' });
  const url = `http://127.0.0.1:${port}`;
  await awaitServing(group, managed, label, url, 'haproxy');
  return { managed, url, port };
}
