import { RE2JS } from 're2js';
import { InvalidRegexError } from './errors.js';

/**
 * A route's `pathRegex`, matched in linear time: RE2 semantics (re2js, the JavaScript port of
 * RE2), as Envoy's `safe_regex` — no pattern and no path can make a match backtrack, so no request
 * can freeze the process. The pattern must match the whole normalized path. RE2 has no
 * backreferences and no lookaround: a pattern using them is rejected, by key and field.
 *
 * RE2 costs 0.1 to 1 µs per test of a typical path, where V8's backtracking engine costs tens of
 * ns; so every pattern carries its literal prefixes (`/api/v` of `/api/v[0-9]+/.*`; `/users/` and
 * `/accounts/` of `/(users|accounts)/.*`) and a path that starts with none is refused by
 * `startsWith` before RE2 runs.
 */
export class PathPattern {
  /** literals one of which every matching path starts with (a single '' when the pattern has none) */
  readonly literalPrefixes: readonly string[];
  readonly #single: string | undefined;
  readonly #re: RE2JS;

  constructor(
    readonly source: string,
    re: RE2JS,
  ) {
    this.#re = re;
    this.literalPrefixes = Object.freeze(literalPrefixesOf(source));
    this.#single = this.literalPrefixes.length === 1 ? this.literalPrefixes[0] : undefined;
  }

  /** whether the whole path matches */
  test(path: string): boolean {
    const single = this.#single;
    if (single !== undefined ? !path.startsWith(single) : !this.#startsWithOne(path)) return false;
    return this.#re.matches(path);
  }

  #startsWithOne(path: string): boolean {
    for (const p of this.literalPrefixes) if (path.startsWith(p)) return true;
    return false;
  }
}

/** Compiles a `pathRegex`; throws `InvalidRegexError` (code `invalid_regex`), which validation reports on `match.pathRegex`. */
export function compilePathRegex(source: string): PathPattern {
  try {
    return new PathPattern(source, RE2JS.compile(source));
  } catch (err) {
    throw new InvalidRegexError(source, err instanceof Error ? err.message.replace(/^error parsing regexp: /, '') : String(err), { cause: err });
  }
}

/** Whether RE2 takes `source` (the `re2` format of filter schemas). */
export function isLinearRegex(source: string): boolean {
  try {
    RE2JS.compile(source);
    return true;
  } catch {
    return false;
  }
}

const META = new Set(['\\', '.', '^', '$', '|', '?', '*', '+', '(', ')', '[', ']', '{', '}']);
const QUANTIFIERS = new Set(['?', '*', '+', '{']);
/** more alternatives than this and the prefixes are not worth checking one by one */
const MAX_PREFIXES = 16;

/**
 * The literal texts a full match of `source` must start with — one of them, when the pattern
 * begins with a group of literal alternatives (`/(users|accounts)/` gives `/users/` and
 * `/accounts/`). Read up to the first metacharacter (an escaped punctuation character counts as
 * itself) and through groups whose alternatives are all literal, minus the last character when a
 * quantifier follows it. [''] when the pattern gives no such guarantee: an alternation at the top,
 * a class, a flag, a quantified group.
 */
export function literalPrefixesOf(source: string): string[] {
  if (hasTopLevelAlternation(source)) return [''];
  let prefixes = [''];
  let i = 0;
  while (i < source.length) {
    const c = source[i] as string;
    if (c === '(') {
      const group = literalGroup(source, i);
      if (group === undefined || QUANTIFIERS.has(source[group.end] ?? '')) break;
      if (prefixes.length * group.alternatives.length > MAX_PREFIXES) break;
      prefixes = prefixes.flatMap((p) => group.alternatives.map((a) => p + a));
      i = group.end;
      continue;
    }
    const lit = literalAt(source, i);
    if (lit === undefined) break;
    if (QUANTIFIERS.has(source[i + lit.width] ?? '')) break; // `ab*`: the b is optional
    prefixes = prefixes.map((p) => p + lit.text);
    i += lit.width;
  }
  return prefixes;
}

/** The one literal prefix of `source` ('' when it has none or several). */
export function literalPrefixOf(source: string): string {
  const all = literalPrefixesOf(source);
  return all.length === 1 ? (all[0] as string) : '';
}

/** The literal character at `i` (an escaped punctuation character is itself), or undefined for an operator. */
function literalAt(source: string, i: number): { text: string; width: number } | undefined {
  const c = source[i] as string;
  if (c === '\\') {
    const next = source[i + 1];
    // only escaped punctuation is itself: \d, \w, \Q, \pL ... are classes or operators
    if (next === undefined || /[0-9A-Za-z]/.test(next)) return undefined;
    return { text: next, width: 2 };
  }
  return META.has(c) ? undefined : { text: c, width: 1 };
}

/** `(a|bc)` or `(?:a|bc)` at `start` whose alternatives are all literal: them, and the index after `)`. */
function literalGroup(source: string, start: number): { alternatives: string[]; end: number } | undefined {
  let i = start + 1;
  if (source[i] === '?') {
    if (source[i + 1] !== ':') return undefined; // flags, named groups: not worth reading
    i += 2;
  }
  const alternatives = [''];
  while (i < source.length) {
    const c = source[i];
    if (c === ')') return alternatives.length > 1 || alternatives[0] !== '' ? { alternatives, end: i + 1 } : undefined;
    if (c === '|') {
      alternatives.push('');
      i++;
      continue;
    }
    const lit = literalAt(source, i);
    if (lit === undefined || QUANTIFIERS.has(source[i + lit.width] ?? '')) return undefined;
    alternatives[alternatives.length - 1] += lit.text;
    i += lit.width;
  }
  return undefined;
}

function hasTopLevelAlternation(source: string): boolean {
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      if (source[i + 1] === ']') i++; // `[]...]`: a leading ] is a member
      else if (source[i + 1] === '^' && source[i + 2] === ']') i += 2;
    } else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) return true;
  }
  return false;
}
