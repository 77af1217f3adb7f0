import { randomBytes } from 'node:crypto';
import amqplib from 'amqplib';
import { connectFirstNode, deleteSharedTopology, topologyFor } from '../shared/index.js';

/** Each part of a run gets a namespace of its own, so nothing it measures shares a queue with anything else. */
export function benchNamespace(part: string): string {
  return `bench-${part}-${randomBytes(4).toString('hex')}`;
}

/** Removes the namespace's shared queues and exchanges (client queues went away with their connections). */
export async function deleteNamespace(amqpUrl: string, namespace: string): Promise<void> {
  const connection = await connectFirstNode(amqpUrl);
  try {
    const channel = await connection.createChannel();
    await deleteSharedTopology(channel, topologyFor(namespace));
    await channel.close();
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/** The broker's product and version, as it announces them on connecting. */
export async function brokerVersion(amqpUrl: string): Promise<string> {
  const connection = await amqplib.connect(amqpUrl);
  try {
    const props = (connection as unknown as { connection: { serverProperties?: Record<string, unknown> } }).connection.serverProperties ?? {};
    return `${String(props.product ?? 'unknown')} ${String(props.version ?? '?')}`;
  } finally {
    await connection.close().catch(() => undefined);
  }
}
