// Only what every command needs is imported here; each command's modules are loaded when it runs,
// so a client command (`junction status`) starts without the proxy's modules (undici pools, etcd3,
// prom-client, pino) or the validator's (TypeBox, ajv): `time node bin/junction.js status` in
// README.md "The junction command".
import { JunctionError } from '../errors/junction-error.js';
import { readVersion } from '../version.js';

const HELP = `usage: junction <command> [flags]

commands:
  serve       run the proxy (see junction serve --help)

  status      the instance: revision, store, errors, guards, tees, certificates
  route       list | get ID | put [ID] FILE | delete ID
  backend     list | get ID | put [ID] FILE | delete ID
  filter      list | get ID | put [ID] FILE | delete ID
  server      BACKEND list | BACKEND ID [--drain|--enable|--disable|--delete|--url U --weight N]
  canary      ROUTE [BACKEND=WEIGHT ...]        show or set a route's split
  tee         ROUTE [BACKEND --percent N|--off] show or set a route's shadow traffic
  cert        list | get ID | put ID CERT.pem KEY.pem [--default] | delete ID   TLS certificates
              (these talk to the admin API: --admin-url, --admin-token, --json; see junction route --help)
  validate    FILE: check a JSON configuration offline (exit 1 with errors)

  demo-upstream NAME [--listen HOST:PORT]
              run one demo upstream (what --demo starts in-process; docker-compose uses it)
  version     print the version
  help        this text

exit codes: 0 ok, 1 refused or invalid, 2 usage, 3 admin API unreachable, 4 unauthorized,
            5 not found, 6 conflict (changed meanwhile, or still in use)
Docs: README.md and docs/ in the project (docs/cli.md, docs/api.md).
`;

const VERSION_HELP = `usage: junction version   (or junction --version, junction -v)

  prints "junction <version>" and exits 0
`;

/** The `junction` command line. Returns the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        if (rest.includes('--help') || rest.includes('-h')) {
          process.stdout.write((await import('./serve-options.js')).SERVE_HELP);
          return 0;
        }
        return await (await import('./serve.js')).serve(rest);
      case 'validate':
        return await (await import('./validate.js')).runValidate(rest);
      case 'demo-upstream':
        return await (await import('./demo-upstream.js')).demoUpstream(rest);
      case 'version':
      case '--version':
      case '-v':
        if (rest.includes('--help') || rest.includes('-h')) {
          process.stdout.write(VERSION_HELP);
          return 0;
        }
        process.stdout.write(`junction ${readVersion()}\n`);
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(HELP);
        return command === undefined ? 2 : 0;
      default: {
        const client = await import('./client/run-client.js');
        if (client.isClientCommand(command)) return await client.runClientCommand(command, rest);
        process.stderr.write(`junction: unknown command ${JSON.stringify(command)} (try junction help)\n`);
        return 2;
      }
    }
  } catch (err) {
    if (err instanceof JunctionError) {
      process.stderr.write(`junction: ${err.message}\n`);
      return err.code === 'usage' ? 2 : 1;
    }
    throw err;
  }
}
