/** Latency summaries. Percentiles by the nearest-rank method, over every sample (no sampling). */
export interface Summary {
  count: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

export function summarise(samples: ArrayLike<number>, length = samples.length): Summary {
  if (length === 0) return { count: 0, p50: 0, p99: 0, max: 0, mean: 0 };
  const sorted = Float64Array.from({ length }, (_, i) => samples[i] ?? 0).sort();
  let total = 0;
  for (const value of sorted) total += value;
  return {
    count: length,
    p50: round(percentile(sorted, 0.5)),
    p99: round(percentile(sorted, 0.99)),
    max: round(sorted[length - 1] ?? 0),
    mean: round(total / length),
  };
}

function percentile(sorted: Float64Array, q: number): number {
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1] ?? 0;
}

export function median(values: number[]): number {
  return summarise(values).p50;
}

/** Rounded to 0.01: enough for milliseconds and rates, and keeps the JSON readable. */
export function round(value: number): number {
  return Math.round(value * 100) / 100;
}

/** warren divided by ceiling, or null when the ceiling figure is zero. */
export function ratio(warren: number, ceiling: number): number | null {
  return ceiling === 0 ? null : Math.round((warren / ceiling) * 1000) / 1000;
}
