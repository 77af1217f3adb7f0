import { randomBytes } from 'node:crypto';
import amqplib from 'amqplib';
import { deleteSecureTopology, secureTopologyFor } from '../../shared/secure-topology.js';

/**
 * The suite's shared broker is a plain one where everyone is guest: the coordinators and clients
 * the tests start there run in open mode, said explicitly (tests/security/ runs secure mode on a
 * node of its own).
 */
export const OPEN_MODE = { mode: 'open' } as const;
/** The same for the programs the tests spawn (server/config.ts, client/config.ts). */
export const OPEN_MODE_ENV = { WARREN_INSECURE_OPEN_BROKER: '1' } as const;

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
    await deleteSecureTopology(channel, secureTopologyFor(namespace));
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
