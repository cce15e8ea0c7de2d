/**
 * A dependency-free SVG line chart for the soak bench: RSS (MiB, left axis) and open file
 * descriptors (right axis) over time. Self-contained and deterministic: same input, same bytes
 * (coordinates rounded to 0.1 px, no dates, no random ids); every text is XML-escaped.
 */

export interface ChartPoint {
  /** seconds since the start */
  readonly t: number;
  readonly rssMiB: number | undefined;
  readonly fds: number | undefined;
}

export interface ChartOptions {
  readonly title: string;
  /** a note under the title (e.g. the command or the machine) */
  readonly subtitle?: string;
  /** a vertical marker at this second (e.g. the end of the warm-up), with its label */
  readonly marker?: { readonly t: number; readonly label: string };
  readonly width?: number;
  readonly height?: number;
}

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}

/** An axis step of 1, 2, 2.5 or 5 × 10^k giving at most `ticks` parts, and the top: the first multiple of it at or above `max`. */
export function niceAxis(max: number, ticks = 5): { top: number; step: number } {
  if (!Number.isFinite(max) || max <= 0) return { top: ticks, step: 1 };
  const raw = max / ticks;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow;
  return { top: Math.ceil(max / step - 1e-9) * step, step };
}

/** An axis of exactly `parts` parts with a nice step (1, 2, 2.5 or 5 × 10^k), its top at or above `max`. */
export function niceAxisParts(max: number, parts: number): { top: number; step: number } {
  const { step } = niceAxis(max, parts);
  return { top: step * parts, step };
}

const n1 = (x: number): string => (Math.round(x * 10) / 10).toFixed(1).replace(/\.0$/, '');
const label = (x: number): string => (Number.isInteger(x) ? String(x) : String(Math.round(x * 100) / 100));

/** Time axis labels: seconds for runs up to two minutes, minutes beyond. */
function timeLabel(t: number, inMinutes: boolean): string {
  return inMinutes ? `${label(t / 60)}` : `${label(t)}`;
}

function polyline(points: ReadonlyArray<readonly [number, number]>, color: string, dash?: string): string {
  if (points.length === 0) return '';
  const d = points.map(([x, y]) => `${n1(x)},${n1(y)}`).join(' ');
  return `<polyline fill="none" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''} points="${d}"/>`;
}

export function soakChartSvg(points: readonly ChartPoint[], opts: ChartOptions): string {
  const W = opts.width ?? 720;
  const H = opts.height ?? 360;
  const m = { left: 64, right: 64, top: opts.subtitle ? 58 : 40, bottom: 58 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const sorted = [...points].sort((a, b) => a.t - b.t);
  const tMax = Math.max(1, ...sorted.map((p) => p.t));
  const inMinutes = tMax > 120;
  const rssVals = sorted.flatMap((p) => (p.rssMiB === undefined ? [] : [p.rssMiB]));
  const fdVals = sorted.flatMap((p) => (p.fds === undefined ? [] : [p.fds]));
  const rssAxis = niceAxis(Math.max(0, ...rssVals) * 1.1);
  // the fd axis gets as many parts as the RSS axis, so both share the grid lines
  const fdAxis = niceAxisParts(Math.max(0, ...fdVals) * 1.1, Math.round(rssAxis.top / rssAxis.step));
  const x = (t: number) => m.left + (t / tMax) * pw;
  const yR = (v: number) => m.top + ph - (v / rssAxis.top) * ph;
  const yF = (v: number) => m.top + ph - (v / fdAxis.top) * ph;
  const RSS = '#1f77b4';
  const FD = '#d95f02';
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(opts.title)}</text>`);
  if (opts.subtitle) out.push(`<text x="${W / 2}" y="40" text-anchor="middle" fill="#555555">${escapeXml(opts.subtitle)}</text>`);
  // grid and left (RSS) / right (fd) tick labels, one grid line per step of the RSS axis
  const steps = Math.round(rssAxis.top / rssAxis.step);
  for (let i = 0; i <= steps; i++) {
    const y = m.top + ph - (i / steps) * ph;
    out.push(`<line x1="${m.left}" y1="${n1(y)}" x2="${m.left + pw}" y2="${n1(y)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${m.left - 6}" y="${n1(y + 4)}" text-anchor="end" fill="${RSS}">${label(i * rssAxis.step)}</text>`);
    out.push(`<text x="${m.left + pw + 6}" y="${n1(y + 4)}" fill="${FD}">${label(i * fdAxis.step)}</text>`);
  }
  // time ticks: about 6–12 of them
  const tStep = niceAxis(tMax / (inMinutes ? 60 : 1), 10).step * (inMinutes ? 60 : 1);
  for (let t = 0; t <= tMax + 1e-9; t += tStep) {
    const xt = x(t);
    out.push(`<line x1="${n1(xt)}" y1="${m.top + ph}" x2="${n1(xt)}" y2="${m.top + ph + 5}" stroke="#333333"/>`);
    out.push(`<text x="${n1(xt)}" y="${m.top + ph + 18}" text-anchor="middle">${timeLabel(t, inMinutes)}</text>`);
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#333333"/>`);
  out.push(`<text x="${m.left + pw / 2}" y="${H - 22}" text-anchor="middle">${inMinutes ? 'minutes' : 'seconds'} since the load started</text>`);
  out.push(`<text transform="translate(16 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle" fill="${RSS}">RSS (MiB)</text>`);
  out.push(`<text transform="translate(${W - 12} ${m.top + ph / 2}) rotate(90)" text-anchor="middle" fill="${FD}">open fds</text>`);
  if (opts.marker && opts.marker.t >= 0 && opts.marker.t <= tMax) {
    const xm = x(opts.marker.t);
    out.push(`<line x1="${n1(xm)}" y1="${m.top}" x2="${n1(xm)}" y2="${m.top + ph}" stroke="#888888" stroke-dasharray="4 3"/>`);
    out.push(`<text x="${n1(xm + 4)}" y="${m.top + 14}" fill="#555555">${escapeXml(opts.marker.label)}</text>`);
  }
  out.push(polyline(sorted.flatMap((p) => (p.rssMiB === undefined ? [] : [[x(p.t), yR(p.rssMiB)] as const])), RSS));
  out.push(polyline(sorted.flatMap((p) => (p.fds === undefined ? [] : [[x(p.t), yF(p.fds)] as const])), FD, '6 3'));
  // legend
  const ly = H - 8;
  out.push(`<line x1="${m.left}" y1="${ly - 4}" x2="${m.left + 24}" y2="${ly - 4}" stroke="${RSS}" stroke-width="2"/>`);
  out.push(`<text x="${m.left + 30}" y="${ly}">RSS (MiB, left axis)</text>`);
  out.push(`<line x1="${m.left + 200}" y1="${ly - 4}" x2="${m.left + 224}" y2="${ly - 4}" stroke="${FD}" stroke-width="2" stroke-dasharray="6 3"/>`);
  out.push(`<text x="${m.left + 230}" y="${ly}">open file descriptors (right axis)</text>`);
  out.push('</svg>');
  return `${out.filter((l) => l !== '').join('\n')}\n`;
}
