import type { Options } from 'amqplib';
import { inputQueueOptions } from './declare.js';
import { DEFAULT_QUEUE_CAPS, cappedDeadLetterQueueOptions, inputCapArguments, type QueueCaps } from './queue-caps.js';
import { topologyFor, type Topology } from './topology.js';

// The caps moved to queue-caps.ts (declare.ts uses them too); importers of this file keep working.
export { DEFAULT_QUEUE_CAPS, cappedDeadLetterQueueOptions, type QueueCaps } from './queue-caps.js';

/**
 * The names and queue arguments secure mode adds to `topologyFor` (docs/SECURITY.md). Clients
 * cannot write to `amq.default` (that would let them write into any queue), so they reach the
 * input queues through a direct exchange the coordinator declares and binds.
 */
export interface SecureTopology extends Topology {
  /** Direct exchange clients publish their input to; the only exchange they may write to. */
  readonly inputExchange: string;
  /** Routing key on `inputExchange` that reaches `chatQueue`. */
  readonly chatRoutingKey: 'chat';
  /** Routing key on `inputExchange` that reaches `commandQueue`. */
  readonly commandRoutingKey: 'command';
}

export function secureTopologyFor(namespace: string): SecureTopology {
  return { ...topologyFor(namespace), inputExchange: `${namespace}.input`, chatRoutingKey: 'chat', commandRoutingKey: 'command' };
}

/**
 * `inputQueueOptions` plus caps. `reject-publish`: when full, the broker nacks the new publish (the
 * flooder sees it with confirms) instead of dropping the oldest input of somebody else.
 * A queue declared earlier without these arguments refuses this declaration with 406
 * PRECONDITION_FAILED (inequivalent arg): such a deployment must delete its input queues once.
 */
export function cappedInputQueueOptions(topology: Topology, caps: QueueCaps = DEFAULT_QUEUE_CAPS): Options.AssertQueue {
  const base = inputQueueOptions(topology);
  return {
    ...base,
    arguments: {
      ...base.arguments,
      ...inputCapArguments(caps),
    },
  };
}

/**
 * A client's own queue: exclusive (another connection's passive declare gets 405 RESOURCE_LOCKED,
 * and it goes with the connection), capped, and `reject-publish` so a flood into it is refused to
 * the publisher (only the coordinator may publish there).
 */
export function clientQueueOptions(caps: QueueCaps = DEFAULT_QUEUE_CAPS): Options.AssertQueue {
  return {
    exclusive: true,
    autoDelete: true,
    durable: false,
    arguments: { 'x-max-length': caps.clientMaxLength, 'x-max-length-bytes': caps.clientMaxBytes, 'x-overflow': 'reject-publish' },
  };
}

interface Declarer {
  assertExchange(exchange: string, type: string, options?: Options.AssertExchange): Promise<unknown>;
  assertQueue(queue: string, options?: Options.AssertQueue): Promise<unknown>;
  bindQueue(queue: string, source: string, pattern: string): Promise<unknown>;
}

/**
 * Everything the coordinator declares in secure mode (clients declare nothing shared: they have
 * no configure right on shared names). Idempotent against a broker that already holds exactly this.
 */
export async function declareSecureTopology(channel: Declarer, topology: SecureTopology, caps: QueueCaps = DEFAULT_QUEUE_CAPS): Promise<void> {
  await channel.assertExchange(topology.eventsExchange, 'topic', { durable: true });
  await channel.assertExchange(topology.deadLetterExchange, 'fanout', { durable: true });
  await channel.assertQueue(topology.deadLetterQueue, cappedDeadLetterQueueOptions(caps));
  await channel.bindQueue(topology.deadLetterQueue, topology.deadLetterExchange, '');
  await channel.assertQueue(topology.chatQueue, cappedInputQueueOptions(topology, caps));
  await channel.assertQueue(topology.commandQueue, cappedInputQueueOptions(topology, caps));
  await channel.assertExchange(topology.inputExchange, 'direct', { durable: true });
  await channel.bindQueue(topology.chatQueue, topology.inputExchange, topology.chatRoutingKey);
  await channel.bindQueue(topology.commandQueue, topology.inputExchange, topology.commandRoutingKey);
}

interface Remover {
  deleteQueue(queue: string): Promise<unknown>;
  deleteExchange(exchange: string): Promise<unknown>;
}

/** Undoes `declareSecureTopology` (tests and the benchmark). */
export async function deleteSecureTopology(channel: Remover, topology: SecureTopology): Promise<void> {
  for (const queue of [topology.chatQueue, topology.commandQueue, topology.deadLetterQueue]) await channel.deleteQueue(queue);
  for (const exchange of [topology.inputExchange, topology.eventsExchange, topology.deadLetterExchange]) await channel.deleteExchange(exchange);
}
