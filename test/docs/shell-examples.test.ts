/**
 * Every shell example in README.md and docs/*.md runs, as a reader would run it, against real
 * processes: the Junction, etcd and upstreams the examples themselves start.
 *
 * The conventions (also in docs/architecture.md, "Examples in the docs are tested"):
 *
 * - Every fenced block names its language. `sh` (or `bash`, `shell`) is a script: every command in
 *   it must succeed. `console` is a transcript: `$ ` starts a command (a trailing `\` or an open
 *   quote continues it), the lines up to the next `$ ` are its output, which must match what the
 *   command prints (whitespace ignored, any number matches any number unless glued to a letter,
 *   `...` matches anything). A command must exit 0 unless the next one is `echo $?`, whose output
 *   is then the exact status. Anything else (`json`, `js`, `text`, ...) is not run.
 * - The blocks of one file run in order in one bash, as pasted into one terminal: exports,
 *   variables, files and background jobs carry over. Every HTTP response a runnable `curl` gets
 *   must be 1xx-3xx; a 4xx only where a transcript shows that error.
 * - A comment on the line right above a fence steers it:
 *     `<!-- docs-test: norun REASON -->`   not run (Docker, a bench, a stream that never ends, an
 *                                           address that must not be reached...); the reason is required
 *     `<!-- docs-test: servers -->`         long-running: run it in the background and wait until every
 *                                           loopback port it names accepts connections (and etcd's
 *                                           /health — a TLS handshake for an etcd on https —, and
 *                                           Junction's /readyz, when it starts them)
 *     `<!-- docs-test: before COMMANDS -->` hidden set-up run first (state the example assumes)
 *     `<!-- docs-test: file PATH -->`       (on a non-shell block) write the block to PATH, e.g. a
 *                                           document or filter module the next commands use
 *   and one on the line right below a shell block's closing fence:
 *     `<!-- docs-test: then COMMANDS -->`   hidden checks that what the example says happened did
 *                                           (`eventually 'CMD'` retries CMD for 5 s)
 *   Free-standing, between blocks:
 *     `<!-- docs-test: servers COMMAND -->` start COMMAND in the background, as above (what the
 *                                           reader was told to run, e.g. `npm start`'s serve)
 *     `<!-- docs-test: reset -->`           stop everything started so far; a new shell, new ports
 * - How the session differs from a reader's terminal (rewritten ports, `junction` on PATH, the
 *   curl wrapper): test/docs/shell-session.ts.
 *
 * While writing docs: `DOCS_TEST_ONLY=docs/cli.md node scripts/run-tests.mjs shell-examples` runs
 * the examples of that file alone (comma-separated list).
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseMarkdown, SHELL_LANGS, type Block, type Directive, type ParsedDoc } from './markdown.js';
import { ShellSession } from './shell-session.js';
import { outputMatches, outputPattern, parseTranscript } from './transcript.js';

const root = new URL('../../../', import.meta.url);
const FILES = ['README.md', ...readdirSync(new URL('docs/', root)).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
const docs = new Map<string, ParsedDoc>(FILES.map((f) => [f, parseMarkdown(readFileSync(new URL(f, root), 'utf8'))]));

function blocks(doc: ParsedDoc): Block[] {
  return doc.items.flatMap((i) => (i.kind === 'block' ? [i.block] : []));
}

test('every fenced block names its language, transcripts are console blocks, and docs-test comments are well-formed', () => {
  const problems: string[] = [];
  for (const [file, doc] of docs) {
    for (const p of doc.problems) problems.push(`${file} ${p}`);
    for (const b of blocks(doc)) {
      const first = b.body.split('\n').find((l) => l.trim() !== '') ?? '';
      if (b.lang === '') problems.push(`${file} line ${b.line}: a fence without a language (sh, console, json, text, ...)`);
      if (b.lang === 'console' && !first.startsWith('$ ')) problems.push(`${file} line ${b.line}: a console block starts with a "$ " command`);
      if (b.lang !== 'console' && first.startsWith('$ ')) problems.push(`${file} line ${b.line}: a transcript ("$ " commands and their output) is a console block, not ${b.lang || 'plain'}`);
    }
  }
  assert.deepEqual(problems, []);
});

test('the docs test has examples to run: most shell blocks run, and each norun one says why', () => {
  const shell = [...docs.values()].flatMap((d) => blocks(d).filter((b) => SHELL_LANGS.has(b.lang)));
  const norun = shell.filter((b) => b.before.some((d) => d.verb === 'norun'));
  assert.ok(shell.length >= 30, `${shell.length} shell blocks`);
  assert.ok(norun.length * 3 < shell.length, `${norun.length} of ${shell.length} shell blocks are not run`);
});

test('the transcript matcher: numbers, whitespace and ... are loose, words and signs are not', () => {
  assert.ok(outputMatches('routes/api updated (mod revision 62)', 'routes/api updated (mod revision 7)\n'));
  assert.ok(outputMatches('api-v1   90      90.0%', 'api-v1 75 75.0%'));
  assert.ok(outputMatches('{ "key": "routes/api", ... }', '{"key":"routes/api","created":true,"revision":3}'));
  assert.ok(!outputMatches('api-v1=90', 'api-v2=90'), 'a number glued to a letter is literal');
  assert.ok(outputMatches('applied 2026-11-25T21:48:31.402Z', 'applied 2026-12-07T22:39:32.630Z'), 'but not the time of a date');
  assert.ok(!outputMatches('store     etcd, connected', 'store embedded, connected'));
  assert.ok(!outputMatches('exit 1', 'exit 1\nmore'), 'the whole output is compared');
  assert.equal(outputPattern('a 1.5'), 'a\\d+\\.\\d+');
  assert.deepEqual(parseTranscript("$ curl -d '{\n  \"a\": 1\n}' x \\\n  y\nout 1\n$ echo $?\n0"), [
    { command: "curl -d '{\n  \"a\": 1\n}' x \\\n  y", expected: 'out 1' },
    { command: 'echo $?', expected: '0' },
  ]);
});

/** "<code> <url>" lines the curl wrapper recorded that the rules do not allow. */
function badStatuses(http: readonly string[], allow4xx: boolean): string[] {
  return http.filter((l) => {
    const code = Number(l.split(' ')[0]);
    return !(code >= 100 && code < 400) && !(allow4xx && code >= 400 && code < 500);
  });
}

async function runDirectives(session: ShellSession, where: string, ds: readonly Directive[]): Promise<void> {
  for (const d of ds) {
    const r = await session.run(await session.rewrite(d.text));
    assert.ok(r.ok, `${where}: docs-test ${d.verb} (line ${d.line}) failed:\n${r.output}\n--- recent output:\n${session.recentOutput()}`);
  }
}

async function runShellBlock(session: ShellSession, file: string, b: Block): Promise<void> {
  const where = `${file}:${b.line}`;
  await runDirectives(
    session,
    where,
    b.before.filter((d) => d.verb === 'before'),
  );
  if (b.before.some((d) => d.verb === 'servers')) {
    await session.startServers(await session.rewrite(b.body), b.body);
  } else if (b.lang === 'console') {
    const steps = parseTranscript(b.body);
    let previous: { command: string; status: number } | undefined;
    for (const [i, step] of steps.entries()) {
      const r = await session.runCommand(await session.rewrite(step.command));
      const shown = `${where} $ ${step.command}\n--- it printed:\n${r.output}--- the doc shows:\n${step.expected}`;
      if (step.command.trim() === 'echo $?') {
        assert.ok(previous, `${where}: echo $? follows a command`);
        assert.equal(String(previous.status), step.expected, `${where}: the doc says "${previous.command}" exits ${step.expected}; it exited ${previous.status}`);
      } else {
        const next = steps[i + 1];
        if (next?.command.trim() !== 'echo $?') assert.equal(r.status, 0, `exit ${r.status}: ${shown}`);
        if (step.expected !== '') assert.ok(outputMatches(step.expected, r.output), `the output differs: ${shown}`);
      }
      const showsError = /"error"|HTTP\/[\d.]+ 4\d\d/.test(step.expected);
      assert.deepEqual(badStatuses(r.http, showsError), [], `HTTP statuses: ${shown}`);
      previous = { command: step.command, status: r.status };
    }
  } else {
    const r = await session.run(await session.rewrite(b.body));
    assert.ok(r.ok, `${where}: a command failed:\n${r.output}\n--- recent output:\n${session.recentOutput()}`);
    assert.deepEqual(badStatuses(r.http, false), [], `${where}: HTTP statuses of its curl commands\n${r.output}`);
  }
  await runDirectives(session, where, b.after);
}

const only = process.env.DOCS_TEST_ONLY?.split(',').map((f) => f.trim());
for (const file of FILES.filter((f) => only === undefined || only.includes(f))) {
  const doc = docs.get(file) as ParsedDoc;
  const runnable = blocks(doc).some((b) => SHELL_LANGS.has(b.lang) && !b.before.some((d) => d.verb === 'norun'));
  if (!runnable) continue;
  test(`the shell examples of ${file} run`, async (t: TestContext) => {
    const session = await ShellSession.start();
    try {
      for (const item of doc.items) {
        if (item.kind === 'directive') {
          const d = item.directive;
          if (d.verb === 'reset') await session.reset();
          else if (d.verb === 'servers') {
            await t.test(`${file}:${d.line} servers ${d.text.split('\n').join('; ')}`, async () => {
              await session.startServers(await session.rewrite(d.text), d.text);
            });
          }
          continue;
        }
        const b = item.block;
        const file_ = b.before.find((d) => d.verb === 'file');
        if (file_) {
          const path = join(session.cwd, file_.text);
          mkdirSync(dirname(path), { recursive: true });
          writeFileSync(path, `${await session.rewrite(b.body)}\n`);
          continue;
        }
        if (!SHELL_LANGS.has(b.lang)) continue;
        const norun = b.before.find((d) => d.verb === 'norun');
        if (norun) {
          t.diagnostic(`${file}:${b.line} not run: ${norun.text}`);
          continue;
        }
        await t.test(`${file}:${b.line} ${b.lang}: ${b.body.split('\n')[0]?.slice(0, 60) ?? ''}`, () => runShellBlock(session, file, b));
      }
    } finally {
      await session.close();
    }
  });
}
