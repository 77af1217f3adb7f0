#!/usr/bin/env node
import { OPEN_BROKER_WARNING, isWarrenError, redactUrl, settingsForEntryPoint } from '../../shared/index.js';
import { WarrenClient } from '../../client/lib/warren-client.js';
import { streamLogger } from '../logger.js';
import { brokerReachable } from './broker-reachable.js';
import { linkOptions } from '../../client/link-settings.js';
import { WEB_SETTINGS, webCommand } from './config.js';
import { createMetricsRegistry, metricsListen, registerWebGatewayMetrics, serveMetrics } from '../observability/index.js';
import { WebGateway } from './gateway.js';
import { loadStaticFiles } from './static-files.js';

const logger = streamLogger(process.stderr);

async function main(): Promise<number> {
  const parsed = settingsForEntryPoint(webCommand(), WEB_SETTINGS, process.argv.slice(2), process.env);
  if (!parsed.ok) {
    if (parsed.message) logger.error(parsed.message);
    return parsed.exitCode;
  }
  const settings = parsed.settings;
  if (settings.insecureOpenBroker) logger.warn(OPEN_BROKER_WARNING);
  const clientOptions = linkOptions(settings);
  let gateway: WebGateway;
  try {
    gateway = new WebGateway({
      host: settings.host,
      port: settings.port,
      files: loadStaticFiles(settings.staticDir),
      createClient: () => new WarrenClient(clientOptions),
      maxSessions: settings.maxSessions,
      resumeGraceMs: settings.resumeGrace * 1000,
      replayFrames: settings.replayFrames,
      allowedOrigins: settings.allowedOrigins,
      brokerReachable: () => brokerReachable(settings.amqpUrl),
      logger,
    });
  } catch (err) {
    logger.error(isWarrenError(err) ? `✗ ${err.message} [${err.code}]` : String(err));
    return 2;
  }
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) return;
    signalled = true;
    logger.info(`${signal} received; ending every web session`);
    gateway.stop().then(
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
    const port = await gateway.start();
    logger.info(`web gateway ready on http://${settings.host}:${port}/ (broker ${redactUrl(settings.amqpUrl)}, namespace ${settings.namespace})`);
  } catch (err) {
    logger.error(`the web gateway could not listen on ${settings.host}:${settings.port}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  const listen = metricsListen(settings);
  if (listen) {
    const registry = createMetricsRegistry();
    registerWebGatewayMetrics(registry, gateway.stats);
    // Ready while the page is served and the broker answers: a gateway that cannot reach it can log nobody in.
    const server = await serveMetrics(listen, registry, [{ name: 'broker', check: () => gateway.stats.isReady() }], logger);
    if (!server) return 1;
  }
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
