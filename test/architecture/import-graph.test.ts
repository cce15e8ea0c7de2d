// DESIGN: "Dependencies point down: a leaf never imports the module that composes it; the contracts
// leaves share live in a module of their own. No import cycles, type-only imports included."
// This reads every .ts file under src/ (static imports and re-exports, `import type` included,
// dynamic `import('...')` and `import('...').T` types of relative paths) and holds the graph to it,
// at file level and at the level of src/'s top-level folders (files directly in src/ are the
// folder "."). The layering it leaves is written down in docs/architecture.md ("Dependencies").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const SRC = fileURLToPath(new URL('../../../src/', import.meta.url));

/**
 * Pairs of folders allowed to import each other for now, each with its reason. Delete an entry
 * once its reason is gone (the last test fails while an entry allows nothing).
 */
const ALLOWED_MUTUAL: ReadonlyArray<{ readonly pair: readonly [string, string]; readonly reason: string }> = [];

/**
 * "." (junction.ts, the composition root) may import anything, and nothing may import "." —
 * except these, `folder -> file directly in src/`, each with its reason.
 */
const ALLOWED_ROOT_IMPORTS: ReadonlyMap<string, string> = new Map([
  // The process entry points sit above the root: they start it.
  ['cli -> junction.ts', '`junction serve` starts the composition root (startJunction, HostPort)'],
  ['cluster -> junction.ts', 'a worker process runs one Junction (startJunction)'],
  ['cli -> serve-options.ts', "`junction serve`'s flags are parsed into ServeOptions"],
  ['cluster -> serve-options.ts', 'the primary and each worker start from the same ServeOptions'],
  ['cli -> version.ts', '`junction --version` reads the package version'],
]);

// ---- reading the graph ----

/** The module specifiers `text` imports, in every form that makes a dependency. */
function specifiersOf(fileName: string, text: string): string[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier !== undefined && ts.isStringLiteral(node.moduleSpecifier)) {
      out.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = node.arguments[0];
      if (arg !== undefined && ts.isStringLiteralLike(arg)) out.push(arg.text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      out.push(node.argument.literal.text);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      out.push(node.moduleReference.expression.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

interface ImportGraph {
  /** every .ts file under src/, relative to src/ with `/` separators */
  readonly files: readonly string[];
  /** file -> the src files it imports */
  readonly edges: ReadonlyMap<string, ReadonlySet<string>>;
  /** relative imports that name no file under src/ */
  readonly unresolved: readonly string[];
}

function tsFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) tsFiles(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const rel = (abs: string): string => relative(SRC, abs).split(sep).join('/');

function readGraph(): ImportGraph {
  const files = tsFiles(SRC).map(rel);
  const known = new Set(files);
  const edges = new Map<string, Set<string>>();
  const unresolved: string[] = [];
  for (const file of files) {
    const deps = new Set<string>();
    for (const spec of specifiersOf(file, readFileSync(join(SRC, file), 'utf8'))) {
      if (!spec.startsWith('./') && !spec.startsWith('../')) continue; // packages and node: builtins
      const abs = resolve(SRC, dirname(file), spec);
      if (!abs.startsWith(SRC)) continue; // outside src/ (package.json...)
      const target = rel(abs).replace(/\.js$/, '.ts');
      if (known.has(target)) deps.add(target);
      else if (spec.endsWith('.js') || !existsSync(abs)) unresolved.push(`${file} -> ${spec}`);
    }
    edges.set(file, deps);
  }
  return { files, edges, unresolved };
}

/** The top-level folder under src/ a file is in; "." for files directly in src/. */
const folderOf = (file: string): string => (file.includes('/') ? file.slice(0, file.indexOf('/')) : '.');

/** folder -> folder -> the file imports that make the dependency */
function folderEdges(g: ImportGraph): Map<string, Map<string, string[]>> {
  const out = new Map<string, Map<string, string[]>>();
  for (const [from, deps] of g.edges) {
    for (const to of deps) {
      const a = folderOf(from);
      const b = folderOf(to);
      if (a === b) continue;
      let m = out.get(a);
      if (m === undefined) out.set(a, (m = new Map()));
      let why = m.get(b);
      if (why === undefined) m.set(b, (why = []));
      why.push(`${from} -> ${to}`);
    }
  }
  return out;
}

/** Strongly connected components with more than one member (Tarjan), members sorted. */
function cycles(nodes: Iterable<string>, next: (n: string) => Iterable<string>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of next(v)) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const scc: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      scc.push(w);
    } while (w !== v);
    if (scc.length > 1) out.push(scc.sort());
  };
  for (const n of nodes) if (!index.has(n)) connect(n);
  return out.sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
}

/** One loop through a component, `a -> b -> ... -> a`, so a failure shows a path to break. */
function loopThrough(scc: readonly string[], next: (n: string) => Iterable<string>): string {
  const members = new Set(scc);
  const start = scc[0]!;
  const path = [start];
  const seen = new Set([start]);
  const walk = (v: string): boolean => {
    for (const w of next(v)) {
      if (w === start) return true;
      if (!members.has(w) || seen.has(w)) continue;
      seen.add(w);
      path.push(w);
      if (walk(w)) return true;
      path.pop();
    }
    return false;
  };
  walk(start);
  return [...path, start].join(' -> ');
}

const graph = readGraph();
const byFolder = folderEdges(graph);
const folderNext = (f: string): Iterable<string> => byFolder.get(f)?.keys() ?? [];
const allowedPair = (a: string, b: string): boolean => ALLOWED_MUTUAL.some(({ pair: [x, y] }) => (x === a && y === b) || (x === b && y === a));

// ---- the rules ----

test('the reader sees every form of import and nothing that only looks like one', () => {
  const text = [
    "import { a } from './a.js';",
    "import type { B } from '../b/b.js';",
    "import './side-effect.js';",
    "export { c } from './c.js';",
    "export type { D } from './d.js';",
    "export * from './e.js';",
    "const f = await import('./f.js');",
    "type G = import('./g.js').G;",
    "import h from 'node:http';",
    "// import { x } from './commented.js';",
    "const s = \"import { y } from './in-a-string.js'\";",
  ].join('\n');
  assert.deepEqual(specifiersOf('x.ts', text), ['./a.js', '../b/b.js', './side-effect.js', './c.js', './d.js', './e.js', './f.js', './g.js', 'node:http']);
  assert.ok(graph.files.length > 100, `${graph.files.length} files under src/`);
  assert.ok((graph.edges.get('junction.ts')?.size ?? 0) > 10, 'junction.ts imports most of src/');
  assert.deepEqual(graph.unresolved, [], 'relative imports that name no file under src/');
});

test('no import cycle between files', () => {
  const found = cycles(graph.files, (f) => graph.edges.get(f) ?? []).map((scc) => `${scc.join(', ')}\n    e.g. ${loopThrough(scc, (f) => graph.edges.get(f) ?? [])}`);
  assert.deepEqual(found, [], `files that import each other, directly or through others:\n  ${found.join('\n  ')}`);
});

test('no two top-level folders under src/ import each other', () => {
  const found: string[] = [];
  for (const [a, deps] of byFolder) {
    for (const [b, why] of deps) {
      const back = byFolder.get(b)?.get(a);
      if (a >= b || back === undefined || allowedPair(a, b)) continue;
      found.push(`${a} <-> ${b}\n    ${[...why, ...back].join('\n    ')}`);
    }
  }
  assert.deepEqual(found, [], `folders that import each other:\n  ${found.join('\n  ')}`);
});

test('no longer loop of folders either', () => {
  const found = cycles(byFolder.keys(), folderNext)
    .filter((scc) => scc.length > 2)
    .map((scc) => `${scc.join(', ')}\n    e.g. ${loopThrough(scc, folderNext)}`);
  assert.deepEqual(found, [], `folders in a loop:\n  ${found.join('\n  ')}`);
});

test('"." (the composition root) is imported by nothing but the entry points that start it', () => {
  const found: string[] = [];
  for (const [from, deps] of graph.edges) {
    const folder = folderOf(from);
    if (folder === '.') continue;
    for (const to of deps) if (folderOf(to) === '.' && !ALLOWED_ROOT_IMPORTS.has(`${folder} -> ${to}`)) found.push(`${from} -> ${to}`);
  }
  assert.deepEqual(found, [], `imports of files directly in src/:\n  ${found.join('\n  ')}`);
});

test('every allow-list entry still allows something (delete the ones that do not)', () => {
  const stale: string[] = [];
  for (const { pair: [a, b], reason } of ALLOWED_MUTUAL) {
    if (byFolder.get(a)?.has(b) !== true || byFolder.get(b)?.has(a) !== true) stale.push(`${a} <-> ${b} (${reason})`);
  }
  const used = new Set<string>();
  for (const [from, deps] of graph.edges) for (const to of deps) if (folderOf(to) === '.') used.add(`${folderOf(from)} -> ${to}`);
  for (const [entry, reason] of ALLOWED_ROOT_IMPORTS) if (!used.has(entry)) stale.push(`${entry} (${reason})`);
  assert.deepEqual(stale, [], 'allow-list entries nothing needs any more');
});
