import type { Options } from 'amqplib';
import { inputQueueOptions } from './declare.js';
import { COORDINATORS_QUEUE_OPTIONS, PARTITION_EXCHANGE_ARGUMENTS, coordinatorsQueue, partitionExchange, partitionQueues, type InputKind } from './input-partitions.js';
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
  unbindQueue(queue: string, source: string, pattern: string): Promise<unknown>;
  bindExchange(destination: string, source: string, pattern: string): Promise<unknown>;
  deleteExchange(exchange: string): Promise<unknown>;
}

/**
 * Everything the coordinator declares in secure mode (clients declare nothing shared: they have
 * no configure right on shared names). Idempotent against a broker that already holds exactly this.
 * `partitions` (input-partitions.ts): every coordinator of a deployment must be given the same count.
 */
export async function declareSecureTopology(channel: Declarer, topology: SecureTopology, caps: QueueCaps = DEFAULT_QUEUE_CAPS, partitions = 1): Promise<void> {
  await channel.assertExchange(topology.eventsExchange, 'topic', { durable: true });
  await channel.assertExchange(topology.deadLetterExchange, 'fanout', { durable: true });
  await channel.assertQueue(topology.deadLetterQueue, cappedDeadLetterQueueOptions(caps));
  await channel.bindQueue(topology.deadLetterQueue, topology.deadLetterExchange, '');
  await channel.assertExchange(topology.inputExchange, 'direct', { durable: true });
  await declareInputPartitions(channel, topology, 'chat', topology.chatRoutingKey, caps, partitions);
  await declareInputPartitions(channel, topology, 'command', topology.commandRoutingKey, caps, partitions);
  if (partitions > 1) await channel.assertQueue(coordinatorsQueue(topology), { ...COORDINATORS_QUEUE_OPTIONS, arguments: { ...COORDINATORS_QUEUE_OPTIONS.arguments } });
}

/**
 * One kind's input queues and the path to them. One partition: the queue bound to `<ns>.input`
 * directly (and a partition exchange left by an earlier, partitioned start removed). Several: a
 * consistent-hash exchange between them, each queue bound with weight 1, and the direct binding
 * of a single-queue start removed (otherwise partition 0 would get every input twice). Rebinding
 * an existing binding is a no-op for the broker, also on the hash exchange (checked on 3.10).
 */
async function declareInputPartitions(channel: Declarer, topology: SecureTopology, kind: InputKind, routingKey: string, caps: QueueCaps, partitions: number): Promise<void> {
  const queues = partitionQueues(topology, kind, partitions);
  for (const queue of queues) await channel.assertQueue(queue, cappedInputQueueOptions(topology, caps));
  const exchange = partitionExchange(topology, kind);
  if (partitions === 1) {
    await channel.deleteExchange(exchange);
    await channel.bindQueue(queues[0]!, topology.inputExchange, routingKey);
    return;
  }
  await channel.assertExchange(exchange, 'x-consistent-hash', { durable: true, arguments: { ...PARTITION_EXCHANGE_ARGUMENTS } });
  for (const queue of queues) await channel.bindQueue(queue, exchange, '1');
  await channel.bindExchange(exchange, topology.inputExchange, routingKey);
  await channel.unbindQueue(queues[0]!, topology.inputExchange, routingKey);
}

interface Remover {
  deleteQueue(queue: string): Promise<unknown>;
  deleteExchange(exchange: string): Promise<unknown>;
}

/** Undoes `declareSecureTopology` (tests and the benchmark). */
export async function deleteSecureTopology(channel: Remover, topology: SecureTopology, partitions = 1): Promise<void> {
  const inputQueues = [...partitionQueues(topology, 'chat', partitions), ...partitionQueues(topology, 'command', partitions)];
  const coordinators = partitions > 1 ? [coordinatorsQueue(topology)] : [];
  for (const queue of [...inputQueues, ...coordinators, topology.deadLetterQueue]) await channel.deleteQueue(queue);
  const partitionExchanges = partitions > 1 ? [partitionExchange(topology, 'chat'), partitionExchange(topology, 'command')] : [];
  for (const exchange of [...partitionExchanges, topology.inputExchange, topology.eventsExchange, topology.deadLetterExchange]) await channel.deleteExchange(exchange);
}
