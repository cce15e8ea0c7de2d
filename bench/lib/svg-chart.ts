/**
 * A small, dependency-free SVG writer for the bench reports: horizontal bars, one row per scenario,
 * one panel per figure (e.g. req/s, p99 ms), side by side. Pure: the same input gives the same bytes.
 */

export interface ChartRow {
  readonly label: string;
  /** drawn in the accent colour, label in bold, on a tinted band (Junction's rows) */
  readonly highlight?: boolean;
}

export interface ChartPanel {
  /** above the panel, e.g. "Throughput (higher is better)" */
  readonly title: string;
  /** under the ticks, e.g. "requests per second" */
  readonly axisLabel: string;
  /** one per row; undefined: no bar, `missing[i]` (or "n/a") is written instead */
  readonly values: readonly (number | undefined)[];
  readonly missing?: readonly (string | undefined)[];
  /** decimals of the value printed at the end of each bar */
  readonly decimals: number;
}

export interface BarChart {
  readonly title: string;
  /** small lines under the title (machine, date, load) */
  readonly subtitle: readonly string[];
  readonly rows: readonly ChartRow[];
  readonly panels: readonly ChartPanel[];
  /** legend entries: the highlight colour's meaning, then the plain one's */
  readonly legend?: { readonly highlight: string; readonly plain: string };
}

/** Geometry, exported for the tests. */
export const LAYOUT = {
  margin: 16,
  titleSize: 16,
  smallSize: 11,
  fontSize: 12,
  charWidth: 7,
  rowHeight: 24,
  barHeight: 14,
  panelWidth: 250,
  /** room right of the longest bar for its value */
  valueRoom: 64,
  panelGap: 28,
} as const;

const COLORS = { highlight: '#d9480f', plain: '#868e96', band: '#fff4e6', grid: '#e9ecef', axis: '#495057', text: '#212529', muted: '#868e96' } as const;

/** Escapes text for SVG/XML content and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;'));
}

/** A number with a fixed count of decimals and thousands separators, independent of the locale. */
export function formatNumber(v: number, decimals: number): string {
  const [int = '0', frac] = Math.abs(v).toFixed(decimals).split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${v < 0 && Number(v.toFixed(decimals)) !== 0 ? '-' : ''}${grouped}${frac ? `.${frac}` : ''}`;
}

/** 1, 2, 2.5 or 5 times a power of ten, at least `x` (x > 0). */
function niceStep(x: number): number {
  const p = 10 ** Math.floor(Math.log10(x));
  const f = x / p;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * p;
}

/** Axis ticks from 0 to a round maximum >= the largest value (about four intervals). */
export function axisTicks(max: number): number[] {
  if (!(max > 0) || !Number.isFinite(max)) return [0, 1];
  const step = niceStep(max / 4);
  const n = Math.ceil(max / step - 1e-9);
  return Array.from({ length: n + 1 }, (_, i) => Number((i * step).toPrecision(12)));
}

function tickLabel(v: number): string {
  if (v >= 1000) return `${Number((v / 1000).toPrecision(6))}k`;
  return String(Number(v.toPrecision(6)));
}

/** Coordinates with at most one decimal, so the output does not depend on float noise. */
const c = (n: number): string => String(Math.round(n * 10) / 10);

function text(x: number, y: number, s: string, attrs: string = ''): string {
  return `<text x="${c(x)}" y="${c(y)}"${attrs ? ` ${attrs}` : ''}>${escapeXml(s)}</text>`;
}

/** The whole chart as an SVG document. */
export function barChartSvg(chart: BarChart): string {
  const L = LAYOUT;
  const labelWidth = Math.max(80, ...chart.rows.map((r) => r.label.length * L.charWidth + 28));
  const panelsLeft = L.margin + labelWidth;
  const panelStride = L.panelWidth + L.panelGap;
  const width = panelsLeft + chart.panels.length * panelStride - L.panelGap + L.margin;
  const legendHeight = chart.legend ? 22 : 0;
  const headTop = L.margin + L.titleSize;
  const subtitleTop = headTop + 6;
  const panelTitleY = subtitleTop + chart.subtitle.length * (L.smallSize + 4) + legendHeight + 18;
  const plotTop = panelTitleY + 10;
  const plotHeight = chart.rows.length * L.rowHeight;
  const height = plotTop + plotHeight + 18 + 18 + L.margin;
  const barArea = L.panelWidth - L.valueRoom;

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${c(width)}" height="${c(height)}" viewBox="0 0 ${c(width)} ${c(height)}" font-family="Helvetica, Arial, sans-serif" font-size="${L.fontSize}">`,
    `<title>${escapeXml(chart.title)}</title>`,
    `<rect x="0" y="0" width="${c(width)}" height="${c(height)}" fill="#ffffff"/>`,
    text(L.margin, headTop, chart.title, `font-size="${L.titleSize}" font-weight="bold" fill="${COLORS.text}"`),
  ];
  chart.subtitle.forEach((line, i) => out.push(text(L.margin, subtitleTop + (i + 1) * (L.smallSize + 4), line, `font-size="${L.smallSize}" fill="${COLORS.axis}"`)));
  if (chart.legend) {
    const y = subtitleTop + chart.subtitle.length * (L.smallSize + 4) + 10;
    const x2 = L.margin + 24 + chart.legend.highlight.length * L.charWidth + 24;
    out.push(
      `<rect class="legend" x="${c(L.margin)}" y="${c(y)}" width="14" height="10" fill="${COLORS.highlight}"/>`,
      text(L.margin + 20, y + 9, chart.legend.highlight, `fill="${COLORS.text}"`),
      `<rect class="legend" x="${c(x2)}" y="${c(y)}" width="14" height="10" fill="${COLORS.plain}"/>`,
      text(x2 + 20, y + 9, chart.legend.plain, `fill="${COLORS.text}"`),
    );
  }

  chart.rows.forEach((row, i) => {
    const y = plotTop + i * L.rowHeight;
    if (row.highlight) out.push(`<rect class="band" x="${c(L.margin)}" y="${c(y)}" width="${c(width - 2 * L.margin)}" height="${c(L.rowHeight)}" fill="${COLORS.band}"/>`);
    out.push(text(panelsLeft - 8, y + L.rowHeight / 2 + 4, row.label, `class="row-label" text-anchor="end" fill="${COLORS.text}"${row.highlight ? ' font-weight="bold"' : ''}`));
  });

  chart.panels.forEach((panel, p) => {
    const left = panelsLeft + p * panelStride;
    const max = Math.max(0, ...panel.values.filter((v): v is number => v !== undefined && Number.isFinite(v)));
    const ticks = axisTicks(max);
    const top = ticks[ticks.length - 1] ?? 1;
    const scale = (v: number) => (top > 0 ? (Math.max(0, v) / top) * barArea : 0);
    out.push(`<g class="panel" data-panel="${p}">`, text(left, panelTitleY, panel.title, `font-weight="bold" fill="${COLORS.text}"`));
    for (const t of ticks) {
      const x = left + scale(t);
      out.push(
        `<line x1="${c(x)}" y1="${c(plotTop)}" x2="${c(x)}" y2="${c(plotTop + plotHeight)}" stroke="${COLORS.grid}"/>`,
        text(x, plotTop + plotHeight + 14, tickLabel(t), `font-size="${L.smallSize}" text-anchor="middle" fill="${COLORS.axis}"`),
      );
    }
    out.push(`<line x1="${c(left)}" y1="${c(plotTop)}" x2="${c(left)}" y2="${c(plotTop + plotHeight)}" stroke="${COLORS.axis}"/>`);
    panel.values.forEach((v, i) => {
      const row = chart.rows[i];
      const y = plotTop + i * L.rowHeight + (L.rowHeight - L.barHeight) / 2;
      if (v === undefined || !Number.isFinite(v)) {
        out.push(text(left + 6, y + L.barHeight - 3, panel.missing?.[i] ?? 'n/a', `class="missing" font-style="italic" fill="${COLORS.muted}"`));
        return;
      }
      const w = scale(v);
      const value = formatNumber(v, panel.decimals);
      out.push(
        `<rect class="bar" data-row="${i}" data-value="${escapeXml(String(v))}" x="${c(left)}" y="${c(y)}" width="${c(w)}" height="${L.barHeight}" fill="${row?.highlight ? COLORS.highlight : COLORS.plain}"><title>${escapeXml(`${row?.label ?? ''}: ${value}`)}</title></rect>`,
        text(left + w + 4, y + L.barHeight - 3, value, `class="value" fill="${COLORS.text}"`),
      );
    });
    out.push(text(left + barArea / 2, plotTop + plotHeight + 32, panel.axisLabel, `font-size="${L.smallSize}" text-anchor="middle" fill="${COLORS.axis}"`), '</g>');
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
