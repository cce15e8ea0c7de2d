import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { CliError, ExitCode, usage } from './exit-codes.js';

/** Reads a JSON document from FILE (`-` is stdin). Unreadable: exit 2; not JSON: exit 1. */
export async function readJsonFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
  } catch (err) {
    throw usage(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new CliError(ExitCode.failed, 'invalid_json', `${file}: (document): is not valid JSON: ${(err as Error).message}`);
  }
}

/** `routes/api.json` -> `api` */
export function idFromFileName(file: string): string {
  return basename(file).replace(/\.json$/i, '');
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}
