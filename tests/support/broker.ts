import { randomBytes } from 'node:crypto';
import amqplib from 'amqplib';
import { deleteSharedTopology, topologyFor } from '../../shared/index.js';

export function amqpUrl(): string {
  const url = process.env.AMQP_URL;
  if (!url) throw new Error('AMQP_URL is not set (tests/support/global-setup.ts sets it)');
  return url;
}

/** A namespace of its own for each test, so tests never share broker state. */
export function uniqueNamespace(prefix = 't'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

/** Removes the shared exchanges and queues of a namespace (client queues go away with their connections). */
export async function deleteNamespace(namespace: string): Promise<void> {
  const connection = await amqplib.connect(amqpUrl());
  try {
    const channel = await connection.createChannel();
    await deleteSharedTopology(channel, topologyFor(namespace));
    await channel.close();
  } finally {
    await connection.close();
  }
}

/** A raw amqplib connection for tests that speak the protocol by hand (malformed input, forgery). */
export async function rawChannel(): Promise<{ channel: amqplib.ConfirmChannel; close(): Promise<void> }> {
  const connection = await amqplib.connect(amqpUrl());
  const channel = await connection.createConfirmChannel();
  return {
    channel,
    close: async () => {
      await connection.close().catch(() => undefined);
    },
  };
}
