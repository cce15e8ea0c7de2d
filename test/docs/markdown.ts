/**
 * The fenced code blocks of a Markdown file, and the `<!-- docs-test: ... -->` comments that tell
 * test/docs/shell-examples.test.ts what to do with them (the conventions are described there).
 */

/** Fence languages whose blocks are shell examples, run by the docs test. */
export const SHELL_LANGS = new Set(['sh', 'bash', 'shell', 'console']);

export const VERBS = ['norun', 'servers', 'reset', 'before', 'then', 'file'] as const;
export type Verb = (typeof VERBS)[number];

export interface Directive {
  readonly verb: Verb;
  /** everything after the verb, trimmed (may span lines) */
  readonly text: string;
  /** 1-based line of the comment's start */
  readonly line: number;
  readonly endLine: number;
}

export interface Block {
  /** 1-based line of the opening fence */
  readonly line: number;
  readonly endLine: number;
  /** the whole info string, e.g. "sh" or "json" */
  readonly info: string;
  /** its first word, lower-case ("" when the fence has none) */
  readonly lang: string;
  readonly body: string;
  /** comments directly above the fence (no blank line between), in order */
  readonly before: Directive[];
  /** `then` comments directly below the closing fence */
  readonly after: Directive[];
}

export type Item = { readonly kind: 'block'; readonly block: Block } | { readonly kind: 'directive'; readonly directive: Directive };

export interface ParsedDoc {
  readonly items: Item[];
  /** problems with the comments themselves: an unknown verb, one that is not where it must be */
  readonly problems: string[];
}

const COMMENT_START = /^\s*<!--\s*docs-test:/;

/** Splits a Markdown file into blocks and free-standing directives, in order. */
export function parseMarkdown(text: string): ParsedDoc {
  const lines = text.split('\n');
  const raw: Array<{ kind: 'block'; block: Omit<Block, 'before' | 'after'> } | { kind: 'directive'; directive: Directive }> = [];
  const problems: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const fence = /^(\s*)(`{3,}|~{3,})\s*(.*)$/.exec(line);
    if (fence) {
      const [, indent = '', marks = '', info = ''] = fence;
      const body: string[] = [];
      let j = i + 1;
      for (; j < lines.length; j++) {
        const l = lines[j] ?? '';
        const close = /^\s*(`{3,}|~{3,})\s*$/.exec(l);
        if (close && (close[1] ?? '')[0] === marks[0] && (close[1] ?? '').length >= marks.length) break;
        body.push(l.startsWith(indent) ? l.slice(indent.length) : l.trimStart());
      }
      if (j >= lines.length) problems.push(`line ${i + 1}: the fence is never closed`);
      raw.push({ kind: 'block', block: { line: i + 1, endLine: j + 1, info: info.trim(), lang: (info.trim().split(/\s+/)[0] ?? '').toLowerCase(), body: body.join('\n') } });
      i = j;
      continue;
    }
    if (COMMENT_START.test(line)) {
      let j = i;
      let all = line;
      while (!all.includes('-->') && j + 1 < lines.length) all += `\n${lines[++j] ?? ''}`;
      const inner = all.replace(/^\s*<!--\s*docs-test:/, '').replace(/-->\s*$/, '');
      const m = /^\s*(\S+)([\s\S]*)$/.exec(inner);
      const verb = m?.[1] ?? '';
      if (!(VERBS as readonly string[]).includes(verb)) {
        problems.push(`line ${i + 1}: unknown docs-test verb ${JSON.stringify(verb)} (known: ${VERBS.join(', ')})`);
      } else {
        raw.push({ kind: 'directive', directive: { verb: verb as Verb, text: (m?.[2] ?? '').trim(), line: i + 1, endLine: j + 1 } });
      }
      i = j;
    }
  }

  // attach: comments on the lines right above a fence belong to it; `then` right below one, too
  const items: Item[] = [];
  const pending: Directive[] = [];
  const flush = () => {
    for (const d of pending.splice(0)) items.push({ kind: 'directive', directive: d });
  };
  for (let k = 0; k < raw.length; k++) {
    const r = raw[k];
    if (r === undefined) continue;
    if (r.kind === 'directive') {
      const d = r.directive;
      const prev = items.at(-1);
      const follows = pending.length === 0 ? prev : undefined;
      if (d.verb === 'then' && follows?.kind === 'block') {
        const lastEnd = follows.block.after.at(-1)?.endLine ?? follows.block.endLine;
        if (d.line === lastEnd + 1) {
          follows.block.after.push(d);
          continue;
        }
      }
      pending.push(d);
      continue;
    }
    const attached: Directive[] = [];
    let expect = r.block.line - 1;
    for (let p = pending.length - 1; p >= 0; p--) {
      const d = pending[p] as Directive;
      if (d.endLine !== expect) break;
      attached.unshift(d);
      expect = d.line - 1;
    }
    pending.splice(pending.length - attached.length, attached.length);
    flush();
    items.push({ kind: 'block', block: { ...r.block, before: attached, after: [] } });
  }
  flush();

  for (const item of items) {
    if (item.kind === 'directive') {
      const d = item.directive;
      if (d.verb === 'norun' || d.verb === 'before' || d.verb === 'file') problems.push(`line ${d.line}: "${d.verb}" must be on the line right above the fence it is about`);
      if (d.verb === 'then') problems.push(`line ${d.line}: "then" must be on the line right below a shell block's closing fence`);
      if (d.verb === 'servers' && d.text === '') problems.push(`line ${d.line}: a free-standing "servers" needs the command to run`);
      if (d.verb === 'reset' && d.text !== '') problems.push(`line ${d.line}: "reset" takes nothing`);
      continue;
    }
    const b = item.block;
    const shell = SHELL_LANGS.has(b.lang);
    for (const d of [...b.before, ...b.after]) {
      if (d.verb === 'reset') problems.push(`line ${d.line}: "reset" stands on its own, not above a fence`);
      if (d.verb === 'file' ? shell : !shell) problems.push(`line ${d.line}: "${d.verb}" cannot be used on a ${b.lang || 'plain'} block`);
      if (d.verb === 'file' && !/^[\w.-]+(\/[\w.-]+)*$/.test(d.text)) problems.push(`line ${d.line}: "file" needs a relative path, got ${JSON.stringify(d.text)}`);
      if (d.verb === 'servers' && d.text !== '') problems.push(`line ${d.line}: "servers" above a fence runs that block: it takes no command`);
      if (d.verb === 'norun' && d.text.length < 10) problems.push(`line ${d.line}: "norun" needs a reason`);
    }
    const verbs = b.before.map((d) => d.verb);
    if (verbs.includes('norun') && verbs.length > 1) problems.push(`line ${b.line}: a norun block takes no other directive`);
  }
  return { items, problems };
}
