#!/usr/bin/env node
/**
 * What a client container runs while nobody chats in it. It waits until the broker answers, so
 * `docker-compose logs client` shows when the stack is usable, says how to start a chat, and then
 * idles until the container is stopped. People chat with `docker-compose exec client warren`.
 */
import { Command } from 'commander';
import { BrokerConnection, isWarrenError, redactUrl, settingsForEntryPoint, type ConnectionStatus } from '../shared/index.js';
import { CLIENT_SETTINGS } from './config.js';

const STANDBY_SETTINGS = { amqpUrl: CLIENT_SETTINGS.amqpUrl, namespace: CLIENT_SETTINGS.namespace };

function describeStatus(status: ConnectionStatus, url: string): string | undefined {
  switch (status.state) {
    case 'reconnecting':
      return `waiting for the broker at ${url} (attempt ${status.attempt}: ${status.reason}); retrying in ${(status.delayMs / 1000).toFixed(1)} s`;
    case 'disconnected':
      return `lost the broker at ${url}: ${status.reason}`;
    default:
      return undefined;
  }
}

async function main(): Promise<number> {
  const parsed = settingsForEntryPoint(new Command('warren-standby').description('Keeps a warren client container up: waits for the broker, then idles until stopped.'), STANDBY_SETTINGS, process.argv.slice(2), process.env);
  if (!parsed.ok) {
    if (parsed.message) process.stderr.write(`${parsed.message}\n`);
    return parsed.exitCode;
  }
  const settings = parsed.settings;

  const url = redactUrl(settings.amqpUrl);
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });

  process.stderr.write(`connecting to the broker at ${url}\n`);
  const connection = new BrokerConnection({ url: settings.amqpUrl, connectionName: 'warren standby' });
  connection.on('status', (status) => {
    const line = describeStatus(status, url);
    if (line) process.stderr.write(`${line}\n`);
  });
  const outcome = await Promise.race([
    connection.waitForConnect().then(
      () => 'connected' as const,
      (err: unknown) => err,
    ),
    stopped.then(() => 'stopped' as const),
  ]);
  // Reachability is all this program checks; the chat sessions open their own connections.
  await connection.close();
  if (outcome === 'stopped') return 0;
  if (outcome !== 'connected') {
    process.stderr.write(`✗ ${isWarrenError(outcome) ? `${outcome.message} [${outcome.code}]` : String(outcome)}\n`);
    return 1;
  }

  process.stdout.write(`warren client container ready (broker ${url}, namespace ${settings.namespace}): run \`warren\` to chat\n`);
  // Signal listeners alone do not keep Node running; this timer does, until a signal arrives.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const signal = await stopped;
  clearInterval(keepAlive);
  process.stderr.write(`${signal} received; standby stopped\n`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
