/** Prints rows as an aligned text table (first row: headers). */
export function table(headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const all = [headers, ...rows.map((r) => r.map((c) => String(c)))];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => String(r[i] ?? '').length)));
  return all.map((r) => r.map((c, i) => (i === r.length - 1 ? String(c) : String(c).padEnd(widths[i] ?? 0))).join('  ').trimEnd()).join('\n') + '\n';
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

export function out(text: string): void {
  process.stdout.write(text);
}

/** `{host, pathPrefix, methods}` -> `api.example.com /v1/* GET,POST` */
export function describeMatch(m: Record<string, unknown> | undefined): string {
  if (!m) return '*';
  const parts: string[] = [];
  if (typeof m.host === 'string') parts.push(m.host);
  if (typeof m.pathPrefix === 'string') parts.push(`${m.pathPrefix}*`);
  if (typeof m.path === 'string') parts.push(m.path);
  if (typeof m.pathRegex === 'string') parts.push(`~${m.pathRegex}`);
  if (Array.isArray(m.methods)) parts.push(m.methods.join(','));
  if (m.headers && typeof m.headers === 'object') for (const [k, v] of Object.entries(m.headers)) parts.push(`${k}=${String(v)}`);
  return parts.length === 0 ? '*' : parts.join(' ');
}

/** `backend` or `a=90 b=10` */
export function describeTarget(doc: Record<string, unknown>): string {
  if (typeof doc.backend === 'string') return doc.backend;
  if (Array.isArray(doc.split)) return (doc.split as Array<{ backend?: unknown; weight?: unknown }>).map((s) => `${String(s.backend)}=${String(s.weight)}`).join(' ');
  return '?';
}
