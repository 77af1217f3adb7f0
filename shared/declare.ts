import type { Options } from 'amqplib';
import { DEFAULT_QUEUE_CAPS, cappedDeadLetterQueueOptions, inputCapArguments, type QueueCaps } from './queue-caps.js';
import type { Topology } from './topology.js';

/** Redeliveries of one input before the broker dead-letters it (a poison message never loops forever). */
export const MAX_DELIVERIES = 5;

/**
 * Arguments of the two input queues. Both the coordinator and every client declare these queues,
 * with exactly these arguments, so a message sent before the coordinator's first start waits in
 * the queue instead of being dropped. Quorum queues: replicated when clustered, and they count
 * deliveries, which is what bounds redelivery. Single active consumer: input-partitions.ts.
 */
export function inputQueueOptions(topology: Topology): Options.AssertQueue {
  return {
    durable: true,
    arguments: {
      'x-queue-type': 'quorum',
      // One consumer at a time, the others waiting: several coordinators never handle one
      // partition's inputs side by side (order kept), and a dead one's partition moves on at once.
      'x-single-active-consumer': true,
      'x-delivery-limit': MAX_DELIVERIES,
      'x-dead-letter-exchange': topology.deadLetterExchange,
    },
  };
}

interface Declarer {
  assertExchange(exchange: string, type: string, options?: Options.AssertExchange): Promise<unknown>;
  assertQueue(queue: string, options?: Options.AssertQueue): Promise<unknown>;
  bindQueue(queue: string, source: string, pattern: string): Promise<unknown>;
}

/** Input-queue arguments with the caps (`reject-publish`: a full queue nacks the flooder's publish). */
export function cappedSharedInputQueueOptions(topology: Topology, caps: QueueCaps = DEFAULT_QUEUE_CAPS): Options.AssertQueue {
  const base = inputQueueOptions(topology);
  return { ...base, arguments: { ...base.arguments, ...inputCapArguments(caps) } };
}

/**
 * Declares everything shared by coordinator and clients, with the caps; idempotent. Whoever
 * declares must use the same caps (a different value is a 406 PRECONDITION_FAILED).
 */
export async function declareSharedTopology(channel: Declarer, topology: Topology, caps: QueueCaps = DEFAULT_QUEUE_CAPS): Promise<void> {
  await channel.assertExchange(topology.eventsExchange, 'topic', { durable: true });
  await channel.assertExchange(topology.deadLetterExchange, 'fanout', { durable: true });
  await channel.assertQueue(topology.deadLetterQueue, cappedDeadLetterQueueOptions(caps));
  await channel.bindQueue(topology.deadLetterQueue, topology.deadLetterExchange, '');
  await channel.assertQueue(topology.chatQueue, cappedSharedInputQueueOptions(topology, caps));
  await channel.assertQueue(topology.commandQueue, cappedSharedInputQueueOptions(topology, caps));
}

interface Remover {
  deleteQueue(queue: string): Promise<unknown>;
  deleteExchange(exchange: string): Promise<unknown>;
}

/**
 * Undoes `declareSharedTopology`: removes a namespace's shared queues and exchanges (for tests and
 * the benchmark; client queues go away with their connections).
 */
export async function deleteSharedTopology(channel: Remover, topology: Topology): Promise<void> {
  for (const queue of [topology.chatQueue, topology.commandQueue, topology.deadLetterQueue]) await channel.deleteQueue(queue);
  for (const exchange of [topology.eventsExchange, topology.deadLetterExchange]) await channel.deleteExchange(exchange);
}
