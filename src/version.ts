import { readFileSync } from 'node:fs';

/** The project's package.json, from the compiled dist/src/version.js (what a container image must ship). */
export const PACKAGE_JSON = new URL('../../package.json', import.meta.url);

/** Junction's version, from package.json (read once at start-up). */
export function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}
