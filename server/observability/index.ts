export { createMetricsRegistry, METRIC_PREFIX } from './registry.js';
export { MetricsServer, type MetricsServerOptions, type ReadinessCheck } from './metrics-server.js';
export { CoordinatorMetrics, type CoordinatorGaugeSources } from './coordinator-metrics.js';
export { QueueDepths, type QueueDepthsOptions } from './queue-depths.js';
export { DEFAULT_METRICS_PORT, METRICS_SETTINGS, metricsListen, metricsSettingsFor, type MetricsSettings } from './settings.js';
export { serveMetrics } from './serve-metrics.js';
export { registerWebGatewayMetrics } from './web-gateway-metrics.js';
