import { JunctionError } from '../errors/junction-error.js';
import { readVersion } from '../version.js';
import { demoUpstream } from './demo-upstream.js';
import { serve } from './serve.js';
import { SERVE_HELP } from './serve-options.js';

const HELP = `usage: junction <command> [flags]

commands:
  serve       run the proxy (see junction serve --help)
  demo-upstream NAME [--listen HOST:PORT]
              run one demo upstream (what --demo starts in-process; docker-compose uses it)
  version     print the version
  help        this text

Docs: README.md and docs/ in the project.
`;

/** The `junction` command line. Returns the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        if (rest.includes('--help') || rest.includes('-h')) {
          process.stdout.write(SERVE_HELP);
          return 0;
        }
        return await serve(rest);
      case 'demo-upstream':
        return await demoUpstream(rest);
      case 'version':
      case '--version':
      case '-v':
        process.stdout.write(`junction ${readVersion()}\n`);
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(HELP);
        return command === undefined ? 2 : 0;
      default:
        process.stderr.write(`junction: unknown command ${JSON.stringify(command)} (try junction help)\n`);
        return 2;
    }
  } catch (err) {
    if (err instanceof JunctionError) {
      process.stderr.write(`junction: ${err.message}\n`);
      return err.code === 'usage' ? 2 : 1;
    }
    throw err;
  }
}
