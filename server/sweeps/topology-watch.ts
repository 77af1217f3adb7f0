import { randomUUID } from 'node:crypto';
import type { ConfirmChannel } from 'amqplib';
import { closeThrowawayChannel } from '../../shared/throwaway-channel.js';
import type { Logger } from '../logger.js';

/** What the coordinator declared and must find again: its queues, exchanges and own bindings. */
export interface WatchedTopology {
  readonly queues: readonly string[];
  readonly exchanges: readonly string[];
  readonly bindings: readonly WatchedBinding[];
}

export interface WatchedBinding {
  readonly queue: string;
  readonly exchange: string;
  readonly routingKey: string;
  /**
   * Bound again on each check instead of probed. For a binding whose queue nobody consumes (the
   * dead-letter queue): a probe would sit there, counted by its depth and never delivered, so a
   * reader of that queue (npm run dead-letters, a test) would see it. Binding is idempotent, so a
   * lost binding comes back within one check, without a log line (and the broker's
   * binding.deleted event, when followed, still says so at once).
   */
  readonly rebind?: boolean;
}

/**
 * Header of a binding probe. A probe is published `mandatory` to the input exchange only: routed,
 * it reaches the coordinator's own consumer, which acks and drops it on arrival before anything
 * counts it (input-pipeline.ts); not routed, the broker returns it before the confirm, which is how
 * a lost binding shows. No `expiration`: a quorum input queue dead-letters what expires, and a
 * probe must never reach the dead-letter queue.
 */
export const PROBE_HEADER = 'x-warren-probe';

/** Routing keys of `amq.rabbitmq.event` the watch reacts to (the authority's `brokerEvents.keys`). */
export const TOPOLOGY_EVENT_KEYS = ['queue.deleted', 'exchange.deleted', 'binding.deleted', 'consumer.deleted'] as const;

export const DEFAULT_TOPOLOGY_CHECK_MS = 5000;

export interface TopologyWatchDeps {
  watched: WatchedTopology;
  /** A channel of its own that a failed passive check may kill without harm; undefined while offline. */
  openChannel: () => Promise<ConfirmChannel | undefined>;
  /** Re-declare, re-bind and re-consume; rejects if it could not. */
  restore: () => Promise<void>;
  logger: Logger;
  intervalMs: number;
}

/**
 * Notices what went missing from under the coordinator and has it restored, saying so in the log:
 * a consumer the broker cancelled (its queue was deleted), a queue, an exchange or one of our
 * bindings that vanished. Three ways in: the cancel notification (`consumerCancelled`), a periodic
 * cheap check (passive declares, binding probes on the input exchange, and re-binding
 * the dead-letter queue), and, when the authority runs the broker's
 * event stream, `onBrokerEvent`. Restores are serialised; a trigger during one runs one more.
 */
export class TopologyWatch {
  private timer: NodeJS.Timeout | undefined;
  private restoring: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  /** What a failed restore left to the reconnect (its channel died under it): said restored once the set-up ran again. */
  private leftToReconnect: string[] = [];
  /** Restores done (for tests and the report line). */
  restores = 0;

  constructor(private readonly deps: TopologyWatchDeps) {}

  start(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => void this.check().catch(() => undefined), this.deps.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The broker cancelled our consumer of `queue` (amqplib delivered null). */
  consumerCancelled(queue: string): void {
    if (this.stopped) return;
    this.deps.logger.warn(`the broker cancelled the coordinator's consumer of queue ${queue} (was the queue deleted?); restoring it`);
    void this.restoreNow(`consumer of ${queue}`);
  }

  /** The coordinator's own channel was closed by the broker while the connection stayed up. */
  channelLost(reason: string): void {
    if (this.stopped) return;
    this.deps.logger.warn(`the broker closed the coordinator's channel (${reason}); reopening it and restoring the topology`);
  }

  /**
   * The coordinator's channel was set up again on a new connection (declared, bound, consuming):
   * whatever a failed restore left behind is restored by it, and the log says so. A restore fails
   * when its channel dies under it, e.g. the broker dropping the connection with 541
   * INTERNAL_ERROR when a publish meets a quorum queue being deleted (docs/RELIABILITY.md).
   */
  setUpAgain(): void {
    if (this.stopped || this.leftToReconnect.length === 0) return;
    const what = this.leftToReconnect.join(', ');
    this.leftToReconnect = [];
    this.restores += 1;
    this.deps.logger.info(`restored ${what} (by the reconnect's set-up); serving again`);
  }

  /** One event of `amq.rabbitmq.event` (hand this to the authority's `brokerEvents.onEvent`). */
  onBrokerEvent(routingKey: string, headers: Readonly<Record<string, unknown>>): void {
    if (this.stopped) return;
    const what = describeEvent(routingKey, headers, this.deps.watched);
    if (!what) return;
    this.deps.logger.warn(`broker event ${routingKey}: ${what}; restoring it`);
    void this.restoreNow(what);
  }

  /** One pass of the periodic check; resolves with what was missing (each logged and restored). */
  async check(): Promise<string[]> {
    if (this.stopped) return [];
    const missing = await findMissing(this.deps.watched, this.deps.openChannel);
    if (missing.length === 0 || this.stopped) return missing;
    for (const what of missing) this.deps.logger.warn(`${what} is missing from the broker; restoring it`);
    await this.restoreNow(missing.join(', '));
    return missing;
  }

  /** Serialised: one restore at a time, and one more if something new came up during it. */
  restoreNow(what: string): Promise<void> {
    if (this.restoring) {
      this.again = true;
      return this.restoring;
    }
    this.restoring = (async () => {
      do {
        this.again = false;
        if (this.stopped) return;
        try {
          await this.deps.restore();
          this.restores += 1;
          this.leftToReconnect = [];
          this.deps.logger.info(`restored ${what}; serving again`);
        } catch (err) {
          if (!this.leftToReconnect.includes(what)) this.leftToReconnect.push(what);
          this.deps.logger.error(`could not restore ${what}: ${err instanceof Error ? err.message : String(err)} (next check in ${this.deps.intervalMs} ms)`);
        }
      } while (this.again);
    })().finally(() => {
      this.restoring = undefined;
    });
    return this.restoring;
  }
}

function describeEvent(routingKey: string, headers: Readonly<Record<string, unknown>>, watched: WatchedTopology): string | undefined {
  const text = (key: string): string => {
    const value = headers[key];
    return Buffer.isBuffer(value) ? value.toString('utf8') : typeof value === 'string' ? value : '';
  };
  if (routingKey === 'queue.deleted' && watched.queues.includes(text('name'))) return `queue ${text('name')} was deleted`;
  if (routingKey === 'exchange.deleted' && watched.exchanges.includes(text('name'))) return `exchange ${text('name')} was deleted`;
  if (routingKey === 'consumer.deleted' && watched.queues.includes(text('queue'))) return `a consumer of queue ${text('queue')} was removed`;
  if (routingKey === 'binding.deleted') {
    const binding = watched.bindings.find((b) => b.exchange === text('source_name') && b.queue === text('destination_name') && b.routingKey === text('routing_key'));
    if (binding) return `binding ${describeBinding(binding)} was removed`;
  }
  return undefined;
}

function describeBinding(binding: WatchedBinding): string {
  return `${binding.exchange} -> ${binding.queue}${binding.routingKey ? ` (${binding.routingKey})` : ''}`;
}

/** Passive declares and binding probes on throwaway channels: a 404 kills the channel, so each failure opens the next. */
async function findMissing(watched: WatchedTopology, openChannel: () => Promise<ConfirmChannel | undefined>): Promise<string[]> {
  const missing: string[] = [];
  let channel: ConfirmChannel | undefined;
  const fresh = async (): Promise<ConfirmChannel | undefined> => {
    if (channel) return channel;
    channel = await openChannel();
    // A failed check closes the channel with an error event; it is expected here.
    channel?.on('error', () => undefined);
    channel?.on('close', () => {
      channel = undefined;
    });
    return channel;
  };
  const attempt = async (what: string, op: (ch: ConfirmChannel) => Promise<unknown>): Promise<boolean> => {
    const ch = await fresh();
    if (!ch) return false;
    try {
      await op(ch);
      return true;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code === 404) missing.push(what);
      else if (code === 405) missing.push(`${what} (held exclusively by another connection)`);
      else if (channel === ch) throw err;
      channel = undefined;
      return false;
    }
  };
  try {
    for (const exchange of watched.exchanges) await attempt(`exchange ${exchange}`, (ch) => ch.checkExchange(exchange));
    const present = new Set<string>();
    for (const queue of watched.queues) if (await attempt(`queue ${queue}`, (ch) => ch.checkQueue(queue))) present.add(queue);
    for (const binding of watched.bindings) {
      // A binding of a missing queue or exchange comes back with its restore.
      if (!present.has(binding.queue) || missing.includes(`exchange ${binding.exchange}`)) continue;
      if (binding.rebind) {
        await attempt(`binding ${describeBinding(binding)}`, (ch) => ch.bindQueue(binding.queue, binding.exchange, binding.routingKey));
        continue;
      }
      const ch = await fresh();
      if (ch && !(await probeRoutes(ch, binding))) missing.push(`binding ${describeBinding(binding)}`);
    }
  } finally {
    const ch = channel as ConfirmChannel | undefined;
    if (ch) await closeThrowawayChannel(ch);
  }
  return missing;
}

/** True if a probe through `binding` reached a queue; the broker returns an unroutable mandatory message before its confirm. */
async function probeRoutes(channel: ConfirmChannel, binding: WatchedBinding): Promise<boolean> {
  const messageId = randomUUID();
  let returned = false;
  const onReturn = (msg: { properties: { messageId?: unknown } }): void => {
    if (msg.properties.messageId === messageId) returned = true;
  };
  channel.on('return', onReturn);
  try {
    await new Promise<void>((resolve, reject) => {
      channel.publish(binding.exchange, binding.routingKey, Buffer.alloc(0), { mandatory: true, messageId, headers: { [PROBE_HEADER]: 1 } }, (err) =>
        err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(),
      );
    });
  } finally {
    channel.off('return', onReturn);
  }
  return !returned;
}
