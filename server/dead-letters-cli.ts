#!/usr/bin/env node
/**
 * `npm run dead-letters`: shows what is in `<namespace>.dead-letter` without removing it. Each
 * message is taken unacknowledged and handed back when the tool closes its channel, so the queue
 * is the same afterwards (the shown messages are marked redelivered). Bodies are printed escaped:
 * a dead letter is hostile input by definition and must not reach the terminal raw.
 */
import { Command } from 'commander';
import { z } from 'zod';
import { connectFirstNode, redactUrl, setting, settingsForEntryPoint, topologyFor } from '../shared/index.js';
import { SERVER_SETTINGS } from './config.js';

const SETTINGS = {
  amqpUrl: SERVER_SETTINGS.amqpUrl,
  namespace: SERVER_SETTINGS.namespace,
  limit: setting({ flag: 'limit', description: 'most messages to show', default: 20, schema: z.coerce.number().int().min(1).max(10_000) }),
};

/** Printable body: JSON text escaped as one line, anything else as base64. */
function showBody(content: Buffer): string {
  const text = content.toString('utf8');
  const clean = Buffer.from(text, 'utf8').equals(content);
  return clean ? JSON.stringify(text.length > 500 ? `${text.slice(0, 500)}…` : text) : `base64:${content.toString('base64').slice(0, 700)}`;
}

function showHeader(value: unknown): string {
  return JSON.stringify(typeof value === 'object' && value !== null && !Buffer.isBuffer(value) ? value : String(value));
}

async function main(): Promise<number> {
  const parsed = settingsForEntryPoint(new Command('warren-dead-letters').description('Show the dead-letter queue of a warren namespace, leaving it as it is.'), SETTINGS, process.argv.slice(2), process.env);
  if (!parsed.ok) {
    if (parsed.message) process.stderr.write(`${parsed.message}\n`);
    return parsed.exitCode;
  }
  const settings = parsed.settings;
  const queue = topologyFor(settings.namespace).deadLetterQueue;
  const connection = await connectFirstNode(settings.amqpUrl);
  try {
    const channel = await connection.createChannel();
    const { messageCount } = await channel.checkQueue(queue);
    process.stdout.write(`${queue} on ${redactUrl(settings.amqpUrl)}: ${messageCount} message(s)\n`);
    for (let shown = 0; shown < settings.limit; shown += 1) {
      const msg = await channel.get(queue, { noAck: false });
      if (!msg) break;
      const headers = msg.properties.headers ?? {};
      process.stdout.write(`\n#${shown + 1}\n`);
      for (const [key, value] of Object.entries(headers)) process.stdout.write(`  ${key}: ${showHeader(value)}\n`);
      if (typeof msg.properties.messageId === 'string') process.stdout.write(`  message-id: ${JSON.stringify(msg.properties.messageId)}\n`);
      process.stdout.write(`  body (${msg.content.length} bytes): ${showBody(msg.content)}\n`);
    }
    // Closing the channel hands every message taken above back to the queue.
    await channel.close();
  } finally {
    await connection.close();
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`dead-letters: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
