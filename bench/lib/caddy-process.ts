import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CADDY_BIN, caddyConfig } from '../baselines/caddy-config.js';
import { awaitServing, type ServingProbe } from './await-serving.js';
import { freePort } from './free-port.js';
import type { Managed, ProcessGroup } from './process-group.js';

export interface CaddyProc {
  readonly managed: Managed;
  /** `https://127.0.0.1:<port>` */
  readonly url: string;
}

/**
 * Starts Caddy (`caddy run`, in the foreground) on `core` with GOMAXPROCS=1 — one core's worth, as
 * nginx's one worker and Junction's one process — its Caddyfile, HOME and XDG directories under a
 * temp dir (nothing written elsewhere), and waits until `GET /` over TLS answers 200.
 */
export async function startCaddy(
  group: ProcessGroup,
  label: string,
  core: number,
  o: { readonly upstream: string; readonly certFile: string; readonly keyFile: string; readonly probe: ServingProbe },
): Promise<CaddyProc> {
  const dir = group.tempDir(label);
  for (const d of ['data', 'config']) mkdirSync(join(dir, d));
  const port = await freePort();
  const file = join(dir, 'Caddyfile');
  writeFileSync(file, caddyConfig({ listenPort: port, upstream: o.upstream, certFile: o.certFile, keyFile: o.keyFile }));
  const env = { ...process.env, GOMAXPROCS: '1', HOME: dir, XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') };
  const managed = group.spawn(label, CADDY_BIN, ['run', '--config', file, '--adapter', 'caddyfile'], { core, env, cwd: dir, stdout: 'capture', stderr: 'capture' });
  const url = `https://127.0.0.1:${port}`;
  await awaitServing(group, managed, label, url, 'caddy', o.probe);
  return { managed, url };
}
