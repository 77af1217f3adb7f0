import { Registry, collectDefaultMetrics } from 'prom-client';

export const METRIC_PREFIX = 'warren_';

/**
 * A registry of its own (not prom-client's global one, so two in one process never clash), with
 * Node's process metrics (CPU, memory, event-loop lag, handles) under `prefix`.
 */
export function createMetricsRegistry(options: { prefix?: string; labels?: Record<string, string> } = {}): Registry {
  const registry = new Registry();
  if (options.labels) registry.setDefaultLabels(options.labels);
  collectDefaultMetrics({ register: registry, prefix: options.prefix ?? METRIC_PREFIX });
  return registry;
}
