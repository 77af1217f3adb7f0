#!/usr/bin/env node
import { isWarrenError, settingsForEntryPoint } from '../shared/index.js';
import { SERVER_SETTINGS, coordinatorOptions, serverCommand } from './config.js';
import { Coordinator } from './coordinator.js';
import { LegacyBridge } from './legacy/bridge.js';
import { streamLogger } from './logger.js';
import { CoordinatorMetrics, createMetricsRegistry, metricsListen, serveMetrics, type MetricsServer } from './observability/index.js';

const logger = streamLogger(process.stderr);

async function main(): Promise<number> {
  const parsed = settingsForEntryPoint(serverCommand(), SERVER_SETTINGS, process.argv.slice(2), process.env);
  if (!parsed.ok) {
    if (parsed.message) logger.error(parsed.message);
    return parsed.exitCode;
  }
  // The core knows extensions only by their interface; the concrete one is chosen here.
  const extension = parsed.settings.legacy ? new LegacyBridge() : undefined;
  const listen = metricsListen(parsed.settings);
  const registry = listen ? createMetricsRegistry() : undefined;
  const metrics = registry ? new CoordinatorMetrics(registry) : undefined;
  const coordinator = new Coordinator(coordinatorOptions(parsed.settings), logger, { extension, ...(metrics ? { metrics } : {}) });
  // Served before the coordinator starts: /healthz answers (and /readyz says 503) while it waits for the broker.
  let metricsServer: MetricsServer | undefined;
  if (listen && registry) {
    metricsServer = await serveMetrics(listen, registry, coordinator.readiness(), logger);
    if (!metricsServer) return 1;
  }
  const stopAll = async (): Promise<void> => {
    await coordinator.stop();
    await metricsServer?.close();
  };
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) return;
    signalled = true;
    logger.info(`${signal} received; shutting down`);
    stopAll().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error(`shutdown failed: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await coordinator.start();
  } catch (err) {
    logger.error(isWarrenError(err) ? `${err.code}: ${err.message}` : String(err));
    await stopAll().catch(() => undefined);
    return 1;
  }
  logger.info(`coordinator ready; chat log at ${coordinator.chatLogPath}`);
  return -1;
}

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    logger.error(`fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
