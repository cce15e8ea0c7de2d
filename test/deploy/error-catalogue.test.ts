// The error catalogue and docs/errors.md say the same thing: every code Junction can give is
// documented, each HTTP code with the status it is answered with.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CLI_ERRORS, CONFIG_ERRORS, HTTP_ERRORS, PROCESS_ERRORS, STORE_ERRORS } from '../../src/errors/catalogue.js';
import { HttpError } from '../../src/errors/junction-error.js';

const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');

test('every HTTP error code is in docs/errors.md on a table row with its status', () => {
  const missing: string[] = [];
  for (const [code, status] of Object.entries(HTTP_ERRORS)) {
    const row = new RegExp(`^\\|\\s*${status}\\s*\\|\\s*\`${code}\``, 'm');
    if (!row.test(doc)) missing.push(`${status} ${code}`);
  }
  assert.deepEqual(missing, [], 'add a row `| status | `code` | when | ...` to docs/errors.md');
});

test('every other code (configuration, stores, process, command line) is in docs/errors.md', () => {
  const missing = [...CONFIG_ERRORS, ...STORE_ERRORS, ...PROCESS_ERRORS, ...CLI_ERRORS].filter((c) => !doc.includes(`\`${c}\``));
  assert.deepEqual(missing, []);
});

test('an HttpError takes its status from the catalogue', () => {
  for (const [code, status] of Object.entries(HTTP_ERRORS)) {
    assert.equal(new HttpError(code as keyof typeof HTTP_ERRORS, 'm').status, status);
  }
});
