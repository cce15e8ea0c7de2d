import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from './cli-process.js';

/** The commands `junction help` lists: the first word of each line of its `commands:` section. */
function listedCommands(helpText: string): string[] {
  const start = helpText.indexOf('\ncommands:\n');
  const end = helpText.indexOf('\nexit codes:');
  assert.ok(start >= 0 && end > start, `help text has a commands section:\n${helpText}`);
  return [...helpText.slice(start, end).matchAll(/^ {2}([a-z][a-z-]*)\s/gm)].map((m) => m[1] as string);
}

test('every command the usage lists answers --help with its usage on stdout and exit 0', async () => {
  const help = await run(['help']);
  assert.equal(help.code, 0, help.stderr);
  const commands = listedCommands(help.stdout);
  // the parse found the list (a regression in it must not leave nothing to check)
  for (const known of ['serve', 'status', 'route', 'server', 'validate', 'demo-upstream', 'version', 'help']) {
    assert.ok(commands.includes(known), `${known} among ${commands.join(', ')}`);
  }
  const failures: string[] = [];
  for (const command of commands) {
    // demo-upstream (or serve) ignoring --help would start listening and never exit: run() times out
    const r = await run([command, '--help'], {}, 10_000);
    const wanted = command === 'help' ? 'usage: junction <command>' : `usage: junction ${command}`;
    if (r.code !== 0 || !r.stdout.startsWith(wanted) || r.stderr !== '') {
      failures.push(`junction ${command} --help: exit ${r.code}, stdout ${JSON.stringify(r.stdout.slice(0, 80))}, stderr ${JSON.stringify(r.stderr)}`);
    }
  }
  assert.deepEqual(failures, []);
});

test('demo-upstream: a bad flag is a usage error (exit 2) that points at --help', async () => {
  const r = await run(['demo-upstream', 'stable', '--port', '1']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^junction: Unknown option '--port' \(see junction demo-upstream --help\)\n$/);
});
