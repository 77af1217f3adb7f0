#!/usr/bin/env node
import { CommanderError } from 'commander';
import { isWarrenError } from '../shared/index.js';
import { coordinatorOptions, parseServerSettings } from './config.js';
import { Coordinator } from './coordinator.js';
import { streamLogger } from './logger.js';

const logger = streamLogger(process.stderr);

async function main(): Promise<number> {
  let settings;
  try {
    settings = parseServerSettings(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (isWarrenError(err)) {
      logger.error(`${err.code}: ${err.message}`);
      return 2;
    }
    throw err;
  }
  const coordinator = new Coordinator(coordinatorOptions(settings), logger);
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) return;
    signalled = true;
    logger.info(`${signal} received; shutting down`);
    void coordinator.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await coordinator.start();
  } catch (err) {
    logger.error(isWarrenError(err) ? `${err.code}: ${err.message}` : String(err));
    await coordinator.stop();
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
