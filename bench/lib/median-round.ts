import type { ScenarioResult } from './throughput-report.js';

/**
 * The round a scenario is reported by when it ran several times: the one with the median CPU µs
 * per request (the lower middle for an even count) among the rounds that measured CPU, carrying
 * every round's CPU µs/req in run order. Medians of whole runs rather than of each column, so a row
 * stays one real measurement (its req/s, p99 and CPU belong together).
 */
export function medianRound(runs: readonly ScenarioResult[]): ScenarioResult {
  const first = runs[0];
  if (first === undefined) throw new Error('medianRound: no runs');
  if (runs.length === 1) return first;
  const measured = runs.filter((r) => r.result !== undefined && r.cpu !== undefined);
  const roundsCpu = runs.map((r) => r.cpu?.usPerRequest);
  if (measured.length === 0) return { ...first, roundsCpu };
  const sorted = [...measured].sort((a, b) => (a.cpu?.usPerRequest ?? 0) - (b.cpu?.usPerRequest ?? 0));
  const median = sorted[Math.floor((sorted.length - 1) / 2)] as ScenarioResult;
  return { ...median, roundsCpu };
}
