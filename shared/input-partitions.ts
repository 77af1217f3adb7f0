import type { Topology } from './topology.js';

/**
 * Input partitions (docs/SCALING.md, docs/RELIABILITY.md "Several coordinators"): with P > 1 the
 * chat and command inputs each go through a consistent-hash exchange (a plugin that ships with
 * RabbitMQ) into P quorum queues with a single active consumer. Every coordinator consumes every
 * partition; the broker lets exactly one of them take each partition at a time and hands it to
 * another when that one's connection dies. A client's inputs all hash to one partition, so they
 * are handled in the order it sent them.
 */

/** Header every client sets to its client id: the consistent-hash exchange hashes it. */
export const PARTITION_HEADER = 'x-warren-client';

/** More partitions than coordinators cost only idle consumers; past this they cost broker memory for nothing. */
export const MAX_INPUT_PARTITIONS = 64;

export type InputKind = 'chat' | 'command';

/**
 * The partition queues of one kind. Partition 0 keeps the single-queue name, so a deployment that
 * raises its partition count keeps the backlog waiting there.
 */
export function partitionQueues(topology: Topology, kind: InputKind, partitions: number): string[] {
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_INPUT_PARTITIONS) {
    throw new RangeError(`input partitions must be a whole number from 1 to ${MAX_INPUT_PARTITIONS}, got ${partitions}`);
  }
  const base = kind === 'chat' ? topology.chatQueue : topology.commandQueue;
  return Array.from({ length: partitions }, (_, i) => (i === 0 ? base : `${base}.${i}`));
}

/** The consistent-hash exchange in front of one kind's partitions (only when there are several). */
export function partitionExchange(topology: Topology, kind: InputKind): string {
  return `${kind === 'chat' ? topology.chatQueue : topology.commandQueue}.partitions`;
}

/** Arguments of a partition exchange: hash the client's id header, not the routing key (always `chat` or `command`). */
export const PARTITION_EXCHANGE_ARGUMENTS = { 'hash-header': PARTITION_HEADER } as const;

/**
 * A queue every coordinator consumes when there are several partitions, and nobody publishes to:
 * its consumer count is the number of coordinators (a single-active-consumer queue reports only
 * its active one). Named after the namespace, not durable, gone with the last coordinator.
 */
export function coordinatorsQueue(topology: Topology): string {
  return `${topology.namespace}.coordinators`;
}

export const COORDINATORS_QUEUE_OPTIONS = { durable: false, autoDelete: true, arguments: { 'x-max-length': 0 } } as const;
