/** Percentiles and rounding shared by the benchmarks. */

/** The p-th percentile of an ascending array: the value at index ⌊p/100 · n⌋ (NaN when empty). */
export const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

export const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

export interface LatencySummary {
  count: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  max_ms: number;
  mean_ms: number;
}

/** p50/p90/p99/max/mean of latencies in ms (sorts `values` in place); NaN figures when empty. */
export function summarize(values: number[]): LatencySummary {
  const sorted = values.sort((a, b) => a - b);
  const sum = sorted.reduce((s, v) => s + v, 0);
  return {
    count: sorted.length,
    p50_ms: round(pct(sorted, 50)),
    p90_ms: round(pct(sorted, 90)),
    p99_ms: round(pct(sorted, 99)),
    max_ms: round(sorted.at(-1) ?? NaN),
    mean_ms: round(sorted.length ? sum / sorted.length : NaN),
  };
}
