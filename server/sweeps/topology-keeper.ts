import type { ConfirmChannel } from 'amqplib';
import { coordinatorsQueue, partitionExchange, partitionQueues, type BrokerConnection, type Topology } from '../../shared/index.js';
import { explainInequivalentQueue, inequivalentQueue } from '../broker/precondition.js';
import type { Logger } from '../logger.js';
import { TOPOLOGY_EVENT_KEYS, TopologyWatch, type WatchedBinding, type WatchedTopology } from './topology-watch.js';

export const DEFAULT_PRECONDITION_RETRY_MS = 30_000;
const RECONNECT_GAP_MS = 2000;

export interface TopologyKeeperDeps {
  topology: Topology;
  connection: () => BrokerConnection | undefined;
  /** Everything the coordinator declares and binds; idempotent. */
  declare: (channel: ConfirmChannel) => Promise<void>;
  input: { consume(channel: ConfirmChannel, prefetch: number): Promise<void>; ensureConsuming(channel: ConfirmChannel): Promise<void> };
  prefetch: number;
  logger: Logger;
  checkIntervalMs: number;
  preconditionRetryMs: number;
  stopping: () => boolean;
  /** Input partitions of each kind (shared/input-partitions.ts); default 1. */
  partitions?: number;
}

/**
 * Keeps the coordinator's broker topology in place: the managed channel's setup (declare, then
 * consume), a clear answer to a 406 from an earlier deployment instead of a crash loop, and the
 * restores the TopologyWatch asks for (docs/RELIABILITY.md "What the coordinator restores").
 */
export class TopologyKeeper {
  readonly watch: TopologyWatch;
  private channel: ConfirmChannel | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private lastReconnectMs = 0;

  constructor(private readonly deps: TopologyKeeperDeps) {
    this.watch = new TopologyWatch({
      watched: watchedTopology(deps.topology, deps.partitions ?? 1),
      openChannel: async () => deps.connection()?.openThrowawayConfirmChannel(),
      restore: () => this.restore(),
      logger: deps.logger,
      intervalMs: deps.checkIntervalMs,
    });
  }

  /** For the authority's `brokerEvents` option: the events of `amq.rabbitmq.event` that concern our names. */
  get brokerEvents(): { keys: readonly string[]; onEvent: (routingKey: string, headers: Readonly<Record<string, unknown>>) => void } {
    return { keys: TOPOLOGY_EVENT_KEYS, onEvent: (key, headers) => this.watch.onBrokerEvent(key, headers) };
  }

  /** The managed channel's setup, replayed on every (re)connect. False: not serving (a 406 explained, retried later). */
  async setup(channel: ConfirmChannel): Promise<boolean> {
    this.channel = channel;
    let closedByBroker = false;
    channel.on('error', (err: unknown) => {
      // A 406 of an earlier deployment's queue is explained and retried slowly (setup below).
      closedByBroker = inequivalentQueue(err) === undefined;
      if (this.channel === channel && !this.deps.stopping()) this.watch.channelLost(err instanceof Error ? err.message : String(err));
    });
    channel.on('close', () => {
      if (this.channel !== channel) return;
      this.channel = undefined;
      // amqp-connection-manager re-creates a channel only after a reconnect; a channel the broker
      // closed under a live connection (a publish to a deleted exchange: 404) needs one now. A
      // close without an error is the connection's own (a reconnect already under way).
      if (closedByBroker && !this.deps.stopping()) this.reconnectSoon();
    });
    try {
      await this.deps.declare(channel);
    } catch (err) {
      const found = inequivalentQueue(err);
      if (!found) throw err;
      this.deps.logger.error(explainInequivalentQueue(found, this.deps.preconditionRetryMs));
      this.scheduleRetry();
      return false;
    }
    await this.deps.input.consume(channel, this.deps.prefetch);
    this.watch.setUpAgain();
    return true;
  }

  start(): void {
    this.watch.start();
  }

  stop(): void {
    this.watch.stop();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.retryTimer = undefined;
    this.reconnectTimer = undefined;
  }

  /** At most one reconnect per RECONNECT_GAP_MS: a setup the broker keeps refusing must not spin. */
  private reconnectSoon(): void {
    if (this.reconnectTimer) return;
    const delay = Math.max(0, this.lastReconnectMs + RECONNECT_GAP_MS - Date.now());
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.lastReconnectMs = Date.now();
      if (!this.deps.stopping()) this.deps.connection()?.reconnect();
    }, delay);
    this.reconnectTimer.unref();
  }

  private scheduleRetry(): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.deps.stopping()) this.deps.connection()?.reconnect();
    }, this.deps.preconditionRetryMs);
    this.retryTimer.unref();
  }

  /** Re-declare and re-consume on the live channel; without one, the reconnect's setup does it all. */
  private async restore(): Promise<void> {
    const channel = this.channel;
    if (!channel) {
      this.reconnectSoon();
      return;
    }
    try {
      await this.deps.declare(channel);
      await this.deps.input.ensureConsuming(channel);
    } catch (err) {
      // The declare killed the channel (a 406, a queue held exclusively elsewhere): start over on a new one.
      if (this.channel === channel) this.reconnectSoon();
      throw err;
    }
  }
}

/**
 * The coordinator's names: its queues, exchanges and the bindings it makes (secure mode adds
 * `<ns>.input`). With several partitions, the bindings of the partition exchanges are bound again
 * on each check rather than probed: a probe through a consistent-hash exchange reaches one
 * partition of the exchange's choosing, so it cannot tell which binding is gone.
 */
export function watchedTopology(topology: Topology & { inputExchange?: string; chatRoutingKey?: string; commandRoutingKey?: string }, partitions = 1): WatchedTopology {
  const exchanges = [topology.eventsExchange, topology.deadLetterExchange];
  const bindings: WatchedBinding[] = [{ queue: topology.deadLetterQueue, exchange: topology.deadLetterExchange, routingKey: '', rebind: true }];
  const chatQueues = partitionQueues(topology, 'chat', partitions);
  const commandQueues = partitionQueues(topology, 'command', partitions);
  if (topology.inputExchange && topology.chatRoutingKey && topology.commandRoutingKey) {
    exchanges.push(topology.inputExchange);
    if (partitions === 1) {
      bindings.push(
        { queue: topology.chatQueue, exchange: topology.inputExchange, routingKey: topology.chatRoutingKey },
        { queue: topology.commandQueue, exchange: topology.inputExchange, routingKey: topology.commandRoutingKey },
      );
    } else {
      for (const [kind, queues] of [['chat', chatQueues], ['command', commandQueues]] as const) {
        const exchange = partitionExchange(topology, kind);
        exchanges.push(exchange);
        for (const queue of queues) bindings.push({ queue, exchange, routingKey: '1', rebind: true });
      }
    }
  }
  const rollCall = partitions > 1 ? [coordinatorsQueue(topology)] : [];
  return { queues: [...chatQueues, ...commandQueues, ...rollCall, topology.deadLetterQueue], exchanges, bindings };
}
