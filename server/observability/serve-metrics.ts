import type { Registry } from 'prom-client';
import type { Logger } from '../logger.js';
import { MetricsServer, type ReadinessCheck } from './metrics-server.js';

/**
 * Starts a program's metrics and health endpoint and says where it listens; undefined (with the
 * reason logged, naming the settings) when it cannot listen. Used by the coordinator and the web gateway.
 */
export async function serveMetrics(
  listen: { host: string; port: number },
  registry: Registry,
  readiness: readonly ReadinessCheck[],
  logger: Logger,
): Promise<MetricsServer | undefined> {
  try {
    const server = await MetricsServer.start({ ...listen, registry, readiness });
    logger.info(`metrics and health on http://${listen.host}:${server.port} (/metrics, /healthz, /readyz)`);
    return server;
  } catch (err) {
    logger.error(`could not serve metrics on ${listen.host}:${listen.port} (WARREN_METRICS_HOST, WARREN_METRICS_PORT; off turns them off): ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}
