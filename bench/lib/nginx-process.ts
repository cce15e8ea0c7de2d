import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NGINX_BIN } from '../baselines/nginx-config.js';
import { freePort } from './free-port.js';
import { getOnce } from './http-get.js';
import type { Managed, ProcessGroup } from './process-group.js';
import { pollUntil } from './time.js';

export interface NginxProc {
  readonly managed: Managed;
  readonly url: string;
  readonly prefix: string;
}

/**
 * Starts nginx in the foreground on `core` with the configuration `config(prefix, port)` written
 * under a temp prefix (as the throughput bench's nginx row does), and waits until `GET /` answers 200.
 */
export async function startNginxWith(
  group: ProcessGroup,
  label: string,
  core: number,
  config: (prefix: string, listenPort: number) => string,
): Promise<NginxProc> {
  const prefix = group.tempDir(label);
  const port = await freePort();
  for (const d of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(prefix, d));
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(conf, config(prefix, port));
  const managed = group.spawn(label, NGINX_BIN, ['-e', join(prefix, 'error.log'), '-p', prefix, '-c', conf], {
    core,
    stdout: 'capture',
    stderr: 'capture',
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await pollUntil(
      label,
      async () => {
        if (!managed.running()) throw new Error(`nginx exited:\n${managed.output()}`);
        return (await getOnce(`${url}/`)).status === 200 ? true : undefined;
      },
      10_000,
      50,
    );
  } catch (err) {
    await group.stop(managed, 2000);
    throw err;
  }
  return { managed, url, prefix };
}
