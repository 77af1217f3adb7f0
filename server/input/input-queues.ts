import type { Channel } from 'amqplib';
import { coordinatorsQueue, partitionQueues, type Topology } from '../../shared/index.js';
import { closeThrowawayChannel } from '../../shared/throwaway-channel.js';

/** A bare channel on the current connection, or undefined while disconnected; closed after use. */
export type OpenChannel = () => Promise<Channel | undefined>;

/**
 * Coordinators consuming the input: the consumers of the roll-call queue (shared/input-partitions.ts),
 * asked on a throwaway channel; undefined while disconnected. Only with several partitions (else
 * there is no roll-call queue, and the broker's 404 rejects).
 */
export async function countCoordinators(topology: Topology, openChannel: OpenChannel): Promise<number | undefined> {
  const channel = await openChannel();
  if (!channel) return undefined;
  try {
    return (await channel.checkQueue(coordinatorsQueue(topology))).consumerCount;
  } finally {
    await closeThrowawayChannel(channel);
  }
}

/**
 * Whether another coordinator consumes the input now, for the takeover grace (partition-share.ts);
 * concurrent asks share one answer, and an answer that cannot be had counts as yes. With one
 * partition of each kind nobody gives a partition up while running (there is no balance), so no.
 */
export function othersAlive(topology: Topology, partitions: number, openChannel: OpenChannel): () => Promise<boolean> {
  if (partitions <= 1) return () => Promise.resolve(false);
  let asking: Promise<boolean> | undefined;
  const ask = async (): Promise<boolean> => ((await countCoordinators(topology, openChannel).catch(() => undefined)) ?? 2) > 1;
  return () => (asking ??= ask().finally(() => (asking = undefined)));
}

/** The queues /metrics reports the depth of, by label: `chat`, `commands` (partition 0), `chat.1`, … and `dead-letter`. */
export function inputQueueLabels(topology: Topology, partitions: number): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [label, kind] of [['chat', 'chat'], ['commands', 'command']] as const) {
    for (const [i, queue] of partitionQueues(topology, kind, partitions).entries()) labels[i === 0 ? label : `${label}.${i}`] = queue;
  }
  labels['dead-letter'] = topology.deadLetterQueue;
  return labels;
}
