#!/usr/bin/env node
import { isWarrenError, settingsForEntryPoint } from '../shared/index.js';
import { SERVER_SETTINGS, coordinatorOptions, serverCommand } from './config.js';
import { Coordinator } from './coordinator.js';
import { LegacyBridge } from './legacy/bridge.js';
import { streamLogger } from './logger.js';

const logger = streamLogger(process.stderr);

async function main(): Promise<number> {
  const parsed = settingsForEntryPoint(serverCommand(), SERVER_SETTINGS, process.argv.slice(2), process.env);
  if (!parsed.ok) {
    if (parsed.message) logger.error(parsed.message);
    return parsed.exitCode;
  }
  // The core knows extensions only by their interface; the concrete one is chosen here.
  const extension = parsed.settings.legacy ? new LegacyBridge() : undefined;
  const coordinator = new Coordinator(coordinatorOptions(parsed.settings), logger, { extension });
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) return;
    signalled = true;
    logger.info(`${signal} received; shutting down`);
    coordinator.stop().then(
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
    await coordinator.stop().catch(() => undefined);
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
