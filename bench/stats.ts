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

/** Percentiles 0, 1, …, 100 (nearest rank; 0 is the minimum): the latency distribution the HTML report draws. */
export function percentiles(samples: ArrayLike<number>, length = samples.length): number[] {
  if (length === 0) return [];
  const sorted = Float64Array.from({ length }, (_, i) => samples[i] ?? 0).sort();
  return Array.from({ length: 101 }, (_, q) => round(q === 0 ? (sorted[0] ?? 0) : percentile(sorted, q / 100)));
}

/** Several distributions as one: the median at each percentile (still non-decreasing). */
export function medianPercentiles(lists: number[][]): number[] {
  const full = lists.filter((list) => list.length > 0);
  if (full.length === 0) return [];
  return Array.from({ length: full[0]?.length ?? 0 }, (_, q) => median(full.map((list) => list[q] ?? 0)));
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
