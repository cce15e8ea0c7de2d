/**
 * `console` blocks: transcripts of `$ command` lines, each followed by the output it shows.
 */

export interface TranscriptStep {
  /** the command, continuation lines included, without the `$ ` */
  readonly command: string;
  /** the output the doc shows for it ('' when none) */
  readonly expected: string;
}

/** Where a command that started on a `$ ` line ends: a trailing `\`, or an open quote, continues it. */
function continues(text: string): boolean {
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote === "'") {
      if (c === "'") quote = undefined;
    } else if (c === '\\') {
      i++;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(text[i - 1] ?? ''))) {
      // a comment: the rest of this line does not count (a later line may still be inside quotes)
      const nl = text.indexOf('\n', i);
      if (nl < 0) break;
      i = nl;
    }
  }
  return quote !== undefined || /\\$/.test(text);
}

export function parseTranscript(body: string): TranscriptStep[] {
  const steps: Array<{ command: string; expected: string[] }> = [];
  const lines = body.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.startsWith('$ ')) {
      let command = line.slice(2);
      while (continues(command) && i + 1 < lines.length) command += `\n${lines[++i] ?? ''}`;
      steps.push({ command, expected: [] });
    } else {
      const last = steps.at(-1);
      if (last === undefined) {
        if (line.trim() !== '') throw new Error(`a console block starts with a "$ " command line, not ${JSON.stringify(line)}`);
        continue;
      }
      last.expected.push(line);
    }
  }
  return steps.map((s) => ({ command: s.command, expected: s.expected.join('\n').trim() }));
}

/**
 * Does `actual` show what `expected` shows? Compared without whitespace (tables align differently,
 * JSON may be shown pretty); every number not glued to a letter matches any number (revisions,
 * times, counts; `v1`, `s1` stay literal, ISO times do not); `...` matches anything (abridged output).
 */
export function outputMatches(expected: string, actual: string): boolean {
  return new RegExp(`^${outputPattern(expected)}$`).test(actual.replace(/\s+/g, ''));
}

export function outputPattern(expected: string): string {
  const e = expected;
  let out = '';
  for (let i = 0; i < e.length; ) {
    const c = e[i] ?? '';
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (e.startsWith('...', i) || c === '…') {
      out += '[\\s\\S]*?';
      i += c === '…' ? 1 : 3;
      continue;
    }
    if (/\d/.test(c)) {
      let j = i;
      while (j < e.length && /\d/.test(e[j] ?? '')) j++;
      // glued to a letter (v1, s1, h2): literal, except the time of an ISO date (2026-11-25T21:48);
      // otherwise any number
      const glued = /[A-Za-z]/.test(e[i - 1] ?? '') && !(e[i - 1] === 'T' && /\d/.test(e[i - 2] ?? ''));
      out += glued ? e.slice(i, j) : '\\d+';
      i = j;
      continue;
    }
    out += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    i++;
  }
  return out;
}
