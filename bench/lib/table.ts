export type Align = 'left' | 'right';

export interface Column {
  readonly title: string;
  readonly align?: Align;
}

/** A plain-text table with aligned columns. */
export function textTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((c, i) => Math.max(c.title.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (cells: readonly string[]) =>
    columns
      .map((c, i) => {
        const w = widths[i] ?? 0;
        const v = cells[i] ?? '';
        return c.align === 'right' ? v.padStart(w) : v.padEnd(w);
      })
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [fmt(columns.map((c) => c.title)), rule, ...rows.map(fmt)].join('\n');
}

/** The same table in GitHub Markdown. */
export function markdownTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const head = `| ${columns.map((c) => c.title).join(' | ')} |`;
  const rule = `| ${columns.map((c) => (c.align === 'right' ? '---:' : '---')).join(' | ')} |`;
  return [head, rule, ...rows.map((r) => `| ${columns.map((_, i) => r[i] ?? '').join(' | ')} |`)].join('\n');
}

export const int = (n: number): string => Math.round(n).toLocaleString('en-US');
export const ms = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : '-');

/** Right-aligned columns with these titles. */
export function rightColumns(...titles: string[]): Column[] {
  return titles.map((title) => ({ title, align: 'right' }));
}

/** The load figures every bench table starts with, after its first (label) column. */
export const LOAD_COLUMNS: readonly Column[] = rightColumns('req/s', 'p50 ms', 'p99 ms', 'errors', 'non-2xx', 'CPU %', 'CPU µs/req');
