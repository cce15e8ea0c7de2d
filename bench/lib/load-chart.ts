import { machineLine, type MachineInfo } from './machine.js';
import type { RunSummary } from './rounds.js';
import { barChartSvg } from './svg-chart.js';

/** One scenario's figures as the charts show them; undefined figures are drawn as `missing`. */
export interface LoadChartRow {
  readonly label: string;
  readonly highlight: boolean;
  readonly rps?: number;
  readonly p99Ms?: number;
  readonly cpuUsPerReq?: number;
  /** written instead of a bar where there is no figure: "skipped", "failed", "n/a" */
  readonly missing?: string;
}

/**
 * The chart every load bench writes next to its Markdown table: req/s, p99 ms and CPU µs/req per
 * scenario, Junction's rows highlighted; the machine line (with the date) and the load under the title.
 */
export function loadChartSvg(title: string, machine: MachineInfo, loadLine: string, rows: readonly LoadChartRow[], cpuDecimals = 0): string {
  const missing = rows.map((r) => r.missing);
  const mixed = rows.some((r) => r.highlight) && rows.some((r) => !r.highlight);
  return barChartSvg({
    title,
    subtitle: [machineLine(machine), loadLine],
    rows: rows.map((r) => ({ label: r.label, highlight: r.highlight })),
    ...(mixed ? { legend: { highlight: 'Junction', plain: 'baselines and references' } } : {}),
    panels: [
      { title: 'Throughput (higher is better)', axisLabel: 'requests per second', values: rows.map((r) => r.rps), missing, decimals: 0 },
      { title: 'Latency p99 (lower is better)', axisLabel: 'milliseconds', values: rows.map((r) => r.p99Ms), missing, decimals: 2 },
      { title: 'CPU per request (lower is better)', axisLabel: 'CPU µs per request, process under test', values: rows.map((r) => r.cpuUsPerReq), missing, decimals: cpuDecimals },
    ],
  });
}

/** A chart row from the medians of a scenario measured in rounds (tee and filters benches). */
export function summaryRow(label: string, highlight: boolean, summary: RunSummary | undefined, skipped?: string): LoadChartRow {
  if (!summary) return { label, highlight, missing: skipped ? 'skipped' : 'failed' };
  return { label, highlight, rps: summary.rps, p99Ms: summary.p99Ms, ...(summary.cpuUsPerReq === undefined ? {} : { cpuUsPerReq: summary.cpuUsPerReq }) };
}
