import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NGINX_BIN } from '../baselines/nginx-config.js';
import { awaitServing, type ServingProbe } from './await-serving.js';
import { freePort } from './free-port.js';
import type { Managed, ProcessGroup } from './process-group.js';

export interface NginxProc {
  readonly managed: Managed;
  readonly url: string;
  readonly prefix: string;
}

/**
 * Starts nginx in the foreground on `core` with the configuration `config(prefix, port)` written
 * under a temp prefix (as the throughput bench's nginx row does), and waits until `GET /` answers 200
 * (with `tls`, over TLS by `probe`; `url` is then `https://`).
 */
export async function startNginxWith(
  group: ProcessGroup,
  label: string,
  core: number,
  config: (prefix: string, listenPort: number) => string,
  tls?: { readonly probe: ServingProbe },
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
  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  await awaitServing(group, managed, label, url, 'nginx', tls?.probe);
  return { managed, url, prefix };
}
