#!/usr/bin/env node
/**
 * What a client container runs while nobody chats in it. It waits until the broker answers, so
 * `docker-compose logs client` shows when the stack is usable, says how to start a chat, and then
 * idles until the container is stopped. People chat with `docker-compose exec client warren`.
 */
import { Command } from 'commander';
import { BrokerConnection, ERROR_CODES, OPEN_BROKER_WARNING, isWarrenError, redactUrl, settingsForEntryPoint, type ConnectionStatus } from '../shared/index.js';
import { amqpUrlWithCredentials, mintClientCredentials } from '../shared/broker-identity.js';
import { CLIENT_SETTINGS } from './config.js';

const STANDBY_SETTINGS = {
  amqpUrl: CLIENT_SETTINGS.amqpUrl,
  // Spread like the chat sessions of the container: the standby's check lands on any node.
  amqpNodeOrder: CLIENT_SETTINGS.amqpNodeOrder,
  namespace: CLIENT_SETTINGS.namespace,
  insecureOpenBroker: CLIENT_SETTINGS.insecureOpenBroker,
};
/** Secure mode: a refused login means the broker is up but the coordinator's authority is not answering yet. */
const REFUSED_RETRY_MS = 2000;

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

  if (settings.insecureOpenBroker) process.stderr.write(`${OPEN_BROKER_WARNING}\n`);
  process.stderr.write(`connecting to the broker at ${url}\n`);
  let outcome: unknown;
  for (;;) {
    // Secure mode: an identity of its own, minted now (the container holds no broker secret); it
    // is never bound to a name, so the authority forgets it after a couple of minutes.
    const credentials = mintClientCredentials();
    const target = settings.insecureOpenBroker ? settings.amqpUrl : amqpUrlWithCredentials(settings.amqpUrl, credentials.clientId, credentials.secret);
    const connection = new BrokerConnection({ url: target, connectionName: 'warren standby', nodeOrder: settings.amqpNodeOrder });
    connection.on('status', (status) => {
      const line = describeStatus(status, url);
      if (line) process.stderr.write(`${line}\n`);
    });
    outcome = await Promise.race([
      connection.waitForConnect().then(
        () => 'connected' as const,
        (err: unknown) => err,
      ),
      stopped.then(() => 'stopped' as const),
    ]);
    // Reachability is all this program checks; the chat sessions open their own connections.
    await connection.close();
    if (settings.insecureOpenBroker || !isWarrenError(outcome, ERROR_CODES.BROKER_ACCESS_REFUSED)) break;
    process.stderr.write(`the broker at ${url} answers but refuses logins: waiting for the coordinator's authority\n`);
    const next = await Promise.race([new Promise((resolve) => setTimeout(() => resolve('again'), REFUSED_RETRY_MS)), stopped.then(() => 'stopped' as const)]);
    if (next === 'stopped') return 0;
  }
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
