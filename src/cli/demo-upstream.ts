import { parseArgs } from 'node:util';
import { startDemoUpstream, stopDemoUpstreams } from '../demo/demo-upstreams.js';
import { parseHostPort } from './host-port.js';
import { UsageError } from './usage-error.js';

export const DEMO_UPSTREAM_HELP = `usage: junction demo-upstream NAME [--listen HOST:PORT]

  Runs one demo upstream in the foreground (what serve --demo starts in-process; docker-compose
  runs three of them): it answers every request with JSON naming NAME, the method, the path and
  the headers Junction forwarded; /healthz answers 200. Stops on SIGTERM or SIGINT.

  NAME                 the upstream's name, e.g. stable, canary, shadow ([a-z0-9][a-z0-9_.-]*)
  --listen HOST:PORT   where to listen (default 127.0.0.1:8081)
`;

/** `junction demo-upstream NAME [--listen HOST:PORT]`: one demo upstream in the foreground. */
export async function demoUpstream(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { listen: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message.replace(/\. To specify.*$/s, '')} (see junction demo-upstream --help)`);
  }
  if (parsed.values.help) {
    process.stdout.write(DEMO_UPSTREAM_HELP);
    return 0;
  }
  const name = parsed.positionals[0];
  if (name === undefined || !/^[a-z0-9][a-z0-9_.-]{0,62}$/.test(name)) {
    throw new UsageError('usage: junction demo-upstream NAME [--listen HOST:PORT] (see junction demo-upstream --help)');
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
