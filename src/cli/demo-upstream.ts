import { parseArgs } from 'node:util';
import { startDemoUpstream, stopDemoUpstreams } from '../demo/demo-upstreams.js';
import { parseHostPort } from './host-port.js';
import { UsageError } from './usage-error.js';

/** `junction demo-upstream NAME [--listen HOST:PORT]`: one demo upstream in the foreground. */
export async function demoUpstream(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: { listen: { type: 'string' } }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const name = parsed.positionals[0];
  if (name === undefined || !/^[a-z0-9][a-z0-9_.-]{0,62}$/.test(name)) {
    throw new UsageError('usage: junction demo-upstream NAME [--listen HOST:PORT]');
  }
  const at = parseHostPort('listen', parsed.values.listen ?? '127.0.0.1:8081');
  const up = await startDemoUpstream(name, at.host, at.port);
  process.stderr.write(`demo upstream ${name} listening on ${up.url}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await stopDemoUpstreams([up]);
  return 0;
}
