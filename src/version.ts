import { readFileSync } from 'node:fs';

/** Junction's version, from package.json (read once at start-up; dist/src/version.js → ../../package.json). */
export function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}
