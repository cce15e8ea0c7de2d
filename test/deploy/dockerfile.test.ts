/**
 * The image ships what `junction serve` reads at run time, and its default command can write its
 * data. No Docker engine runs here, so the Dockerfile is parsed: the final stage's COPY lines are
 * checked against the folders the code itself resolves at start (the dashboard assets, the built-in
 * filters, the version's package.json, the compiled CLI) and package.json's "files"; the default
 * command's data dir (computed by the real flag parser from the image's ENV) must be created and
 * handed to the image's USER before it is declared a VOLUME.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DASHBOARD_DIR } from '../../src/admin/dashboard/dashboard-routes.js';
import { parseServeOptions } from '../../src/cli/serve-options.js';
import { builtinFiltersDir } from '../../src/filters/builtin-dir.js';
import { PACKAGE_JSON } from '../../src/version.js';

const root = new URL('../../../', import.meta.url);
const rootPath = fileURLToPath(root).replace(/\/$/, '');

interface Instruction {
  readonly op: string;
  readonly args: string;
  readonly line: number;
}
interface Stage {
  readonly name: string | undefined;
  readonly instructions: Instruction[];
}

/** Dockerfile instructions by stage: comments dropped, `\` continuations joined. */
function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i] ?? '';
    if (/^\s*(#|$)/.test(line)) continue;
    while (/\\\s*$/.test(line) && i + 1 < lines.length) line = line.replace(/\\\s*$/, ' ') + (lines[++i] ?? '');
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    assert.ok(m, `Dockerfile line ${start + 1}: ${line}`);
    const op = (m[1] ?? '').toUpperCase();
    const args = (m[2] ?? '').trim();
    if (op === 'FROM') stages.push({ name: /\bAS\s+(\S+)/i.exec(args)?.[1], instructions: [] });
    const stage = stages.at(-1);
    assert.ok(stage, `Dockerfile line ${start + 1}: ${op} before FROM`);
    stage.instructions.push({ op, args, line: start + 1 });
  }
  return stages;
}

/** COPY/ADD arguments: flags, sources, destination (the JSON form too). */
function copyArgs(args: string): { flags: Record<string, string>; sources: string[]; dest: string } {
  const words = args.startsWith('[') ? (JSON.parse(args) as string[]) : args.split(/\s+/);
  const flags: Record<string, string> = {};
  while (words[0]?.startsWith('--')) {
    const [k, v] = (words.shift() ?? '').slice(2).split('=');
    flags[k ?? ''] = v ?? '';
  }
  const dest = words.pop() ?? '';
  return { flags, sources: words, dest };
}

function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const ins of stage.instructions.filter((x) => x.op === 'ENV')) {
    if (/^\S+=/.test(ins.args)) {
      for (const m of ins.args.matchAll(/(\S+?)=("([^"]*)"|\S*)/g)) env[m[1] ?? ''] = m[3] ?? m[2] ?? '';
    } else {
      const [k, ...v] = ins.args.split(/\s+/);
      env[k ?? ''] = v.join(' ');
    }
  }
  return env;
}

/** The last WORKDIR before instruction `index` (absolute), default `/`. */
function workdirAt(stage: Stage, index: number): string {
  let wd = '/';
  for (const ins of stage.instructions.slice(0, index)) if (ins.op === 'WORKDIR') wd = posix.resolve(wd, ins.args);
  return wd;
}

const stages = parseDockerfile(readFileSync(new URL('Dockerfile', root), 'utf8'));
const final = stages.at(-1) as Stage;
const finalWorkdir = workdirAt(final, final.instructions.length);

/** Absolute in-image paths the final stage's COPY lines create, with where each comes from. */
const copied = final.instructions.flatMap((ins, i) => {
  if (ins.op !== 'COPY' && ins.op !== 'ADD') return [];
  const { flags, sources, dest } = copyArgs(ins.args);
  const to = posix.resolve(workdirAt(final, i), dest);
  return sources.map((src) => ({ from: flags.from, src, to: sources.length > 1 || dest.endsWith('/') ? posix.join(to, posix.basename(src)) : to }));
});

function isCopied(repoRelative: string): boolean {
  const want = posix.join(finalWorkdir, repoRelative);
  return copied.some((c) => want === c.to || want.startsWith(`${c.to}/`));
}

function repoRelative(url: URL | string): string {
  const p = typeof url === 'string' ? url : fileURLToPath(url);
  assert.ok(p.startsWith(`${rootPath}/`), `${p} is inside the project`);
  return p.slice(rootPath.length + 1).replace(/\/$/, '');
}

test('the final stage copies every folder junction serve loads at run time', () => {
  const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { bin: Record<string, string>; files: string[] };
  const launcher = readFileSync(new URL(pkg.bin.junction ?? '', root), 'utf8');
  const cli = /from '\.\.\/(dist\/src)\/cli\/main\.js'/.exec(launcher)?.[1];
  assert.equal(cli, 'dist/src', 'bin/junction.js loads the compiled CLI from dist/src');
  const needed = new Map<string, string>([
    [repoRelative(DASHBOARD_DIR), 'the dashboard assets (GET / on the admin listener)'],
    [repoRelative(builtinFiltersDir()), 'the built-in filter modules'],
    [repoRelative(PACKAGE_JSON), 'package.json (the version)'],
    [cli, 'the compiled CLI and proxy'],
    [posix.dirname(pkg.bin.junction ?? ''), 'the launcher (the ENTRYPOINT)'],
    ['node_modules', 'the production dependencies'],
    ...pkg.files.map((f): [string, string] => [f, 'package.json "files"']),
  ]);
  assert.deepEqual(
    [...needed].filter(([p]) => !isCopied(p)).map(([p, why]) => `${p}: ${why}`),
    [],
    `the image's final stage copies ${JSON.stringify(copied.map((c) => c.to))} into ${finalWorkdir}`,
  );
});

test('what the final stage copies exists: from the build context (not .dockerignored) or made by the build stage', () => {
  const ignored = readFileSync(new URL('.dockerignore', root), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const build = stages.find((s) => s.name !== undefined && copied.some((c) => c.from === s.name));
  const builtPaths = new Set<string>();
  if (build) {
    build.instructions.forEach((ins, i) => {
      if (ins.op !== 'COPY') return;
      const { sources, dest } = copyArgs(ins.args);
      const to = posix.resolve(workdirAt(build, i), dest);
      for (const src of sources) builtPaths.add(sources.length > 1 || dest.endsWith('/') ? posix.join(to, posix.basename(src)) : to);
    });
    const wd = workdirAt(build, build.instructions.length);
    const runs = build.instructions.filter((x) => x.op === 'RUN').map((x) => x.args).join('\n');
    // made by the build stage's RUN: `npm ci` the node_modules, tsc the outDir
    if (/\bnpm ci\b/.test(runs)) builtPaths.add(posix.join(wd, 'node_modules'));
    const tsconfig = JSON.parse(readFileSync(new URL('tsconfig.json', root), 'utf8')) as { compilerOptions: { outDir: string } };
    if (/\btsc\b/.test(runs)) builtPaths.add(posix.join(wd, tsconfig.compilerOptions.outDir));
  }
  for (const c of copied) {
    if (c.from === undefined) {
      assert.ok(existsSync(new URL(c.src, root)), `COPY ${c.src}: not in the build context`);
      assert.ok(!ignored.some((ig) => c.src.replace(/^\.\//, '').replace(/\/$/, '') === ig.replace(/\/$/, '')), `COPY ${c.src}: excluded by .dockerignore`);
    } else {
      assert.ok(build, `COPY --from=${c.from}: a stage of this Dockerfile`);
      assert.ok([...builtPaths].some((b) => c.src === b || c.src.startsWith(`${b}/`)), `COPY --from=${c.from} ${c.src}: the build stage neither copies nor builds it (${[...builtPaths].join(', ')})`);
    }
  }
});

test("the default command's data dir is made writable for the image's USER, then declared a VOLUME", () => {
  const entry = JSON.parse(final.instructions.find((x) => x.op === 'ENTRYPOINT')?.args ?? '[]') as string[];
  const cmd = JSON.parse(final.instructions.findLast((x) => x.op === 'CMD')?.args ?? '[]') as string[];
  assert.deepEqual(entry, ['node', 'bin/junction.js']);
  assert.equal(cmd[0], 'serve');
  const opts = parseServeOptions(cmd.slice(1), envOf(final));
  assert.equal(opts.etcd, undefined, 'the default command runs the embedded store, which writes its data dir');
  const dataDir = posix.resolve(finalWorkdir, opts.dataDir);
  const userIndex = final.instructions.findLastIndex((x) => x.op === 'USER');
  const user = final.instructions[userIndex]?.args.split(':')[0];
  assert.ok(user && user !== 'root' && user !== '0', 'the image runs as a non-root USER');
  const runs = final.instructions.map((x, i) => ({ ...x, i })).filter((x) => x.op === 'RUN' && x.i < userIndex);
  const made = runs.find((r) => new RegExp(`mkdir\\s+(-p\\s+)?${dataDir}(\\s|$)`).test(r.args));
  assert.ok(made, `a RUN before USER creates ${dataDir}`);
  const chown = runs.find((r) => new RegExp(`chown\\s+(-R\\s+)?${user}(:${user})?\\s+${dataDir}(\\s|$)`).test(r.args));
  assert.ok(chown, `a RUN before USER gives ${dataDir} to ${user}`);
  const volume = final.instructions.findIndex((x) => x.op === 'VOLUME' && x.args.replace(/[[\]"]/g, ' ').split(/[\s,]+/).includes(dataDir));
  assert.ok(volume > chown.i, `VOLUME ${dataDir} is declared after the RUN that owns it (later changes to a volume path are discarded)`);
});

test('the parser reads what it checks: a Dockerfile without the dashboard or the data dir fails the checks', () => {
  // the same parsing on a broken variant, so the checks above cannot pass vacuously
  const broken = parseDockerfile('FROM node AS build\nWORKDIR /app\nFROM node\nWORKDIR /app\nCOPY --from=build /app/dist/src ./dist/src\nUSER node\nCMD ["serve"]\n');
  const last = broken.at(-1) as Stage;
  assert.equal(workdirAt(last, last.instructions.length), '/app');
  assert.deepEqual(copyArgs('--from=build /app/dist/src ./dist/src'), { flags: { from: 'build' }, sources: ['/app/dist/src'], dest: './dist/src' });
  assert.equal(parseServeOptions([], envOf(last)).dataDir, './.junction', 'without ENV JUNCTION_DATA_DIR the data dir is ./.junction under /app, which node cannot write');
});
