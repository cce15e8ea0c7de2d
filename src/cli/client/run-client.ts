import { canaryCommand } from './canary-command.js';
import { certCommand } from './cert-command.js';
import { CliError, ExitCode } from './exit-codes.js';
import { resourceCommand } from './resource-command.js';
import { serverCommand } from './server-command.js';
import { statusCommand } from './status-command.js';
import { teeCommand } from './tee-command.js';

export const CLIENT_COMMANDS = ['status', 'route', 'backend', 'server', 'filter', 'canary', 'tee', 'cert'] as const;
export type ClientCommand = (typeof CLIENT_COMMANDS)[number];

export function isClientCommand(c: string | undefined): c is ClientCommand {
  return (CLIENT_COMMANDS as readonly string[]).includes(c ?? '');
}

/** Runs one admin client command; returns the exit code (docs/cli.md), errors as one line each on stderr. */
export async function runClientCommand(command: ClientCommand, argv: readonly string[]): Promise<number> {
  try {
    switch (command) {
      case 'status':
        await statusCommand(argv);
        break;
      case 'route':
      case 'backend':
      case 'filter':
        await resourceCommand(command, argv);
        break;
      case 'server':
        await serverCommand(argv);
        break;
      case 'canary':
        await canaryCommand(argv);
        break;
      case 'tee':
        await teeCommand(argv);
        break;
      case 'cert':
        await certCommand(argv);
        break;
    }
    return ExitCode.ok;
  } catch (err) {
    return reportCliError(err);
  }
}

export function reportCliError(err: unknown): number {
  if (err instanceof CliError) {
    process.stderr.write(`junction: ${err.message}\n`);
    for (const d of err.details) process.stderr.write(`junction:   ${d}\n`);
    return err.exitCode;
  }
  throw err;
}
