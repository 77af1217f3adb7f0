import { EventEmitter } from 'node:events';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { ChannelWrapper } from 'amqp-connection-manager';
import {
  BrokerConnection,
  ERROR_CODES,
  MAX_DELIVERIES,
  PRESENCE_ROUTING_KEY,
  decodeChat,
  decodeCommand,
  declareSharedTopology,
  isWarrenError,
  redactUrl,
  topologyFor,
  type ConnectionStatus,
  type Topology,
} from '../shared/index.js';
import { Activation } from './activation.js';
import { ChatLog } from './chat-log.js';
import { deadLetterBody } from './dead-letter.js';
import { ExpiryScheduler } from './expiry.js';
import type { CoordinatorExtension, ExtensionHost } from './extension.js';
import { handleChat } from './handlers/chat-handler.js';
import { departure, handleCommand } from './handlers/command-handler.js';
import type { HandlerContext } from './handlers/context.js';
import { refusal } from './handlers/refusal.js';
import { LegacyBridge } from './legacy/bridge.js';
import type { Logger } from './logger.js';
import { emptyOutcome, type Outcome } from './outcome.js';
import { PresenceBatcher } from './presence-batcher.js';
import { recoverUnlogged } from './recovery.js';
import { Registry } from './registry.js';
import { deliverToRoom } from './room-delivery.js';
import { SqliteStore } from './store/sqlite-store.js';
import type { Store } from './store/store.js';

export interface CoordinatorOptions {
  amqpUrl: string;
  namespace: string;
  dataDir: string;
  logDir: string;
  sessionTimeoutMs: number;
  historyOnJoin: number;
  prefetch: number;
  /** Users that must have been online at once before anyone sees the chat (1: always active). */
  minUsers?: number;
  /** Also serve the Actividad 2 wire protocol (server/legacy/, docs/LEGACY.md). */
  legacy?: boolean;
}

/** Replacements for what the coordinator builds itself; tests use it to inject faults. */
export interface CoordinatorDeps {
  store?: Store;
}

type InputKind = 'chat' | 'command';

/**
 * The coordinator: consumes the chat and command queues, keeps the registry and the store,
 * writes the chat log and fans events out through the topic exchange.
 */
export class Coordinator extends EventEmitter<{ status: [ConnectionStatus]; serving: [] }> {
  readonly topology: Topology;
  private readonly store: Store;
  private readonly chatLog: ChatLog;
  private readonly registry: Registry;
  private readonly activation: Activation;
  private readonly expiry: ExpiryScheduler;
  private readonly extension: CoordinatorExtension | undefined;
  private readonly presence: PresenceBatcher;
  private connection: BrokerConnection | undefined;
  private channel: ChannelWrapper | undefined;
  private consumers: { channel: ConfirmChannel; tags: string[] } | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private arrived: { kind: InputKind; channel: ConfirmChannel; msg: ConsumeMessage }[] = [];
  private stopping: Promise<void> | undefined;
  /** When the broker connection last came up; undefined while it is down. */
  private connectedSinceMs: number | undefined;

  constructor(
    private readonly options: CoordinatorOptions,
    private readonly logger: Logger,
    deps: CoordinatorDeps = {},
  ) {
    super();
    this.topology = topologyFor(options.namespace);
    this.store = deps.store ?? new SqliteStore(options.dataDir);
    this.chatLog = new ChatLog(options.logDir);
    this.registry = new Registry(this.store, options.sessionTimeoutMs, Date.now());
    this.activation = new Activation(this.store, options.minUsers ?? 1);
    this.expiry = new ExpiryScheduler((nums) => this.expireMessages(nums));
    this.extension = options.legacy ? new LegacyBridge() : undefined;
    this.presence = new PresenceBatcher((body) =>
      this.channel ? this.channel.publish(this.topology.eventsExchange, PRESENCE_ROUTING_KEY, Buffer.from(JSON.stringify(body)), { contentType: 'application/json' }) : Promise.resolve(),
    );
  }

  get chatLogPath(): string {
    return this.chatLog.path;
  }

  /** Resolves once the coordinator consumes its queues (it waits for the broker as long as it takes). */
  async start(): Promise<void> {
    const recovered = recoverUnlogged(this.store, this.chatLog);
    if (recovered > 0) this.logger.warn(`wrote ${recovered} stored message(s) missing from the chat log after a crash`);
    this.chatLog.append({ kind: 'START', serverTs: new Date().toISOString(), detail: `namespace ${this.topology.namespace}` });

    const connection = new BrokerConnection({ url: this.options.amqpUrl, connectionName: `warren-coordinator ${this.topology.namespace}` });
    this.connection = connection;
    connection.on('status', (status) => {
      if (status.state === 'connected') this.connectedSinceMs = Date.now();
      else if (status.state !== 'connecting') this.connectedSinceMs = undefined;
      this.describeStatus(status);
      this.emit('status', status);
    });
    const serving = new Promise<void>((resolve) => this.once('serving', resolve));
    this.channel = connection.createChannel((channel: ConfirmChannel) => this.setup(channel), 'coordinator');
    this.channel.on('error', (err) => this.logger.error(`channel error: ${err instanceof Error ? err.message : String(err)}`));
    await Promise.race([serving, connection.waitForConnect().then(() => serving)]);
    if (this.extension) await this.extension.start(this.extensionHost(connection));
    for (const { num, expiresAt } of this.store.expiringMessages()) this.expiry.schedule(num, expiresAt);
    const sweepEvery = Math.max(200, Math.min(1000, Math.floor(this.options.sessionTimeoutMs / 5)));
    this.sweepTimer = setInterval(() => this.sweepExpiredSessions(), sweepEvery);
  }

  /** Ordered and idempotent: stop consuming, finish in-flight work, close the broker, the log and the store. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.expiry.stop();
    // What waits is published now, and later changes (inputs still in hand) go out at once.
    this.presence.stop();
    const consumers = this.consumers;
    this.consumers = undefined;
    if (consumers) {
      await Promise.all(consumers.tags.map((tag) => consumers.channel.cancel(tag).catch(() => undefined)));
    }
    await this.extension?.stop();
    await Promise.race([Promise.allSettled([...this.inFlight]), delay(5000)]);
    await this.channel?.close().catch(() => undefined);
    await this.connection?.close();
    this.chatLog.append({ kind: 'STOP', serverTs: new Date().toISOString(), detail: 'graceful shutdown' });
    this.chatLog.close();
    this.store.close();
  }

  private async setup(channel: ConfirmChannel): Promise<void> {
    await declareSharedTopology(channel, this.topology);
    // Per consumer: enough unacked inputs to keep the pipeline busy while earlier ones wait for
    // their publish confirms, few enough that a crash redelivers a bounded batch (deduplicated by id).
    await channel.prefetch(this.options.prefetch);
    const chat = await channel.consume(this.topology.chatQueue, (msg) => this.onDelivery('chat', channel, msg));
    const command = await channel.consume(this.topology.commandQueue, (msg) => this.onDelivery('command', channel, msg));
    this.consumers = { channel, tags: [chat.consumerTag, command.consumerTag] };
    this.logger.info(`serving ${this.topology.chatQueue} and ${this.topology.commandQueue}`);
    this.emit('serving');
  }

  /**
   * Group commit: every input that arrives in one turn of the event loop (amqplib hands over a
   * whole socket read at once) is handled inside one SQLite transaction, then logged, published
   * and acked one by one exactly as before. One WAL append per batch instead of one per message.
   */
  private onDelivery(kind: InputKind, channel: ConfirmChannel, msg: ConsumeMessage | null): void {
    if (!msg || this.stopping) return;
    this.arrived.push({ kind, channel, msg });
    if (this.arrived.length === 1) setImmediate(() => this.handleArrived());
  }

  private handleArrived(): void {
    const batch = this.arrived;
    this.arrived = [];
    const outcomes: (Outcome | undefined)[] = [];
    try {
      this.store.batch(() => {
        for (const input of batch) outcomes.push(this.prepare(input.kind, input.channel, input.msg));
      });
    } catch (err) {
      // The commit failed, so nothing of the batch is stored: hand back every input not handed back yet.
      this.logger.error(`could not commit ${batch.length} input(s): ${err instanceof Error ? err.message : String(err)}`);
      for (const [i, input] of batch.entries()) {
        if (i >= outcomes.length || outcomes[i] !== undefined) settle(() => input.channel.nack(input.msg, false, true));
      }
      return;
    }
    // The batch's log lines in one write, in acceptance order; each input is then published and acked as before.
    try {
      this.chatLog.appendMany(outcomes.flatMap((outcome) => outcome?.log ?? []));
    } catch (err) {
      this.logger.warn(`input not finished, left for redelivery: could not write the chat log: ${err instanceof Error ? err.message : String(err)}`);
      for (const [i, input] of batch.entries()) {
        if (outcomes[i]) settle(() => input.channel.nack(input.msg, false, true));
      }
      return;
    }
    for (const [i, input] of batch.entries()) {
      const outcome = outcomes[i];
      if (outcome) this.finish(outcome, input.kind, input.channel, input.msg);
    }
  }

  /** The outcome of one input, or undefined when it was handed back for redelivery. */
  private prepare(kind: InputKind, channel: ConfirmChannel, msg: ConsumeMessage): Outcome | undefined {
    const now = new Date();
    let outcome: Outcome;
    try {
      outcome = this.handle(kind, msg, now);
    } catch (err) {
      // A fault of ours, not of the input: requeue and try again, a bounded number of times.
      const attempt = deliveryCount(msg) + 1;
      this.logger.error(
        `failed to handle a ${kind} message (attempt ${attempt} of ${MAX_DELIVERIES + 1}): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      );
      if (attempt <= MAX_DELIVERIES) {
        settle(() => channel.nack(msg, false, true));
        return undefined;
      }
      outcome = this.giveUp(kind, msg, now, err instanceof Error ? err.message : String(err));
    }
    return outcome;
  }

  private finish(outcome: Outcome, kind: InputKind, channel: ConfirmChannel, msg: ConsumeMessage): void {
    this.track(
      this.carryOut(outcome, kind, msg, true).then(
        () => settle(() => channel.ack(msg)),
        (err: unknown) => {
          // Not done: hand it back now rather than holding it until the channel closes.
          settle(() => channel.nack(msg, false, true));
          throw err;
        },
      ),
    );
  }

  /**
   * The last delivery the queue will make (it dead-letters after MAX_DELIVERIES redeliveries):
   * rather than let the broker drop it silently, tell the sender it failed and dead-letter it
   * ourselves, with the reason in the headers.
   */
  private giveUp(kind: InputKind, msg: ConsumeMessage, now: Date, reason: string): Outcome {
    const decoded = decodeInput(kind, msg.content);
    const outcome = refusal({
      queue: this.queueOf(kind),
      code: ERROR_CODES.INTERNAL,
      reason: `the coordinator failed to handle this message ${deliveryCount(msg) + 1} times; it was dead-lettered`,
      serverTs: now.toISOString(),
      replyTo: this.validReplyTo(msg.properties.replyTo),
      requestId: decoded.ok ? inputId(decoded.value) : decoded.requestId,
    });
    outcome.deadLetter = { code: ERROR_CODES.INTERNAL, reason };
    return outcome;
  }

  private handle(kind: InputKind, msg: ConsumeMessage, now: Date): Outcome {
    const replyTo = this.validReplyTo(msg.properties.replyTo);
    const queue = this.queueOf(kind);
    const ctx = this.context(now, replyTo);
    const decoded = decodeInput(kind, msg.content);
    if (!decoded.ok) {
      return refusal({ queue, code: decoded.code, reason: decoded.message, serverTs: now.toISOString(), replyTo, requestId: decoded.requestId });
    }
    const value = decoded.value;
    try {
      return value.type === 'chat' ? handleChat(value, ctx) : handleCommand(value, ctx);
    } catch (err) {
      if (!isWarrenError(err)) throw err;
      return refusal({
        queue,
        code: err.code,
        reason: err.message,
        serverTs: now.toISOString(),
        replyTo,
        requestId: value.type === 'chat' ? value.id : value.requestId,
        from: value.type === 'chat' ? value.from : value.type === 'login' ? value.name : undefined,
      });
    }
  }

  /**
   * Log first (unless the caller wrote the lines already), then publish and wait for the broker's
   * confirms; the caller acks after this.
   */
  private async carryOut(outcome: Outcome, kind: InputKind | 'sweep', msg?: ConsumeMessage, logged = false): Promise<void> {
    if (!logged) this.chatLog.appendMany(outcome.log);
    outcome.afterLog?.();
    this.extension?.onOutcome(outcome);
    const channel = this.channel;
    if (!channel) return;
    const json = (body: unknown): Buffer => Buffer.from(JSON.stringify(body));
    const publishes: Promise<unknown>[] = [];
    for (const event of outcome.events) {
      if (event.body.type === 'presence') {
        // Coalesced with other changes close in time; the ack still waits for its confirm.
        publishes.push(this.presence.add(event.body));
        continue;
      }
      // Anything else on the presence key (activation) must not overtake the changes before it.
      if (event.routingKey === PRESENCE_ROUTING_KEY) this.presence.flush();
      publishes.push(channel.publish(this.topology.eventsExchange, event.routingKey, json(event.body), { contentType: 'application/json' }));
    }
    for (const reply of outcome.replies) {
      const correlationId = 'requestId' in reply.body ? reply.body.requestId : undefined;
      publishes.push(
        channel.sendToQueue(reply.queue, json(reply.body), { contentType: 'application/json', ...(correlationId ? { correlationId } : {}) }),
      );
    }
    if (outcome.deadLetter && msg) {
      publishes.push(
        channel.publish(this.topology.deadLetterExchange, '', deadLetterBody(msg.content), {
          persistent: true,
          contentType: msg.properties.contentType,
          // The sender's own message id, if it set one, so a dead letter can be traced back.
          ...(typeof msg.properties.messageId === 'string' ? { messageId: msg.properties.messageId } : {}),
          headers: {
            'x-warren-error-code': outcome.deadLetter.code,
            'x-warren-error-reason': outcome.deadLetter.reason,
            'x-warren-source-queue': this.queueOf(kind),
            'x-warren-rejected-at': new Date().toISOString(),
            'x-warren-attempts': deliveryCount(msg) + 1,
          },
        }),
      );
    }
    await Promise.all(publishes);
  }

  private sweepExpiredSessions(): void {
    // Nobody can reach us while the broker is away, so a session only expires after a full timeout
    // of the coordinator being reachable (restored sessions get the same grace after a restart).
    const connectedSince = this.connectedSinceMs;
    if (connectedSince === undefined || Date.now() - connectedSince < this.options.sessionTimeoutMs) return;
    const now = new Date();
    for (const session of this.registry.expired(now)) {
      if (this.extension?.keepsAlive(session)) continue;
      this.logger.info(`session of ${session.name} timed out`);
      this.track(this.carryOut(departure(session, 'timeout', { registry: this.registry, now }), 'sweep'));
    }
  }

  /** Messages whose time is up: gone from the store and from every online member's view; the log keeps the event. */
  private expireMessages(nums: number[]): void {
    const now = new Date();
    const outcome = emptyOutcome();
    for (const num of nums) {
      const message = this.store.message(num);
      if (!message) continue;
      this.store.removeMessage(num);
      const serverTs = now.toISOString();
      outcome.log.push({ kind: 'EXPIRE', serverTs, room: message.room, num });
      const room = this.store.room(message.room);
      if (room && this.activation.active) {
        deliverToRoom(outcome, this.context(now, undefined), room, { type: 'message.removed', room: room.name, num, seq: message.seq, reason: 'expired', serverTs });
      }
    }
    this.track(this.carryOut(outcome, 'sweep'));
  }

  private context(now: Date, replyTo: string | undefined): HandlerContext {
    return {
      activation: this.activation,
      expiry: this.expiry,
      registry: this.registry,
      store: this.store,
      topology: this.topology,
      now,
      replyTo,
      limits: {
        historyOnJoin: this.options.historyOnJoin,
        sessionTimeoutMs: this.options.sessionTimeoutMs,
        heartbeatIntervalMs: Math.max(100, Math.floor(this.options.sessionTimeoutMs / 3)),
      },
    };
  }

  private extensionHost(connection: BrokerConnection): ExtensionHost {
    return {
      connection,
      topology: this.topology,
      logger: this.logger,
      prefetch: this.options.prefetch,
      sessionTimeoutMs: this.options.sessionTimeoutMs,
      context: (now) => this.context(now, undefined),
      carryOut: (outcome) => this.carryOut(outcome, 'sweep'),
    };
  }

  private queueOf(kind: InputKind | 'sweep'): string {
    return kind === 'chat' ? this.topology.chatQueue : this.topology.commandQueue;
  }

  private validReplyTo(replyTo: unknown): string | undefined {
    if (typeof replyTo !== 'string') return undefined;
    const suffix = replyTo.slice(this.topology.clientQueuePrefix.length);
    return replyTo.startsWith(this.topology.clientQueuePrefix) && /^[A-Za-z0-9_-]{1,64}$/.test(suffix) ? replyTo : undefined;
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch((err: unknown) => {
      // Not finished (a publish unconfirmed, the log unwritable): the input is redelivered and
      // duplicates are recognised by id.
      this.logger.warn(`input not finished, left for redelivery: ${err instanceof Error ? err.message : String(err)}`);
    });
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }

  private describeStatus(status: ConnectionStatus): void {
    const url = redactUrl(this.options.amqpUrl);
    if (status.state === 'connected') this.logger.info(`connected to ${url}`);
    else if (status.state === 'reconnecting') {
      this.logger.warn(`broker ${url} unavailable (${status.reason}); retrying in ${status.delayMs} ms (attempt ${status.attempt})`);
    } else if (status.state === 'failed') this.logger.error(status.error.message);
  }
}

/** Earlier deliveries of this message, as counted by the quorum queue (absent on the first). */
function deliveryCount(msg: ConsumeMessage): number {
  const count: unknown = msg.properties.headers?.['x-delivery-count'];
  return typeof count === 'number' && Number.isInteger(count) && count >= 0 ? count : 0;
}

/** The id a client chose for an input (a chat message's `id`, a request's `requestId`), if any. */
function inputId(value: object): string | undefined {
  const record = value as { id?: unknown; requestId?: unknown };
  if (typeof record.requestId === 'string') return record.requestId;
  return typeof record.id === 'string' ? record.id : undefined;
}

function decodeInput(kind: InputKind, content: Buffer): ReturnType<typeof decodeChat> | ReturnType<typeof decodeCommand> {
  return kind === 'chat' ? decodeChat(content) : decodeCommand(content);
}

/** Acking on a channel that has since closed is harmless: the broker redelivers, and we deduplicate. */
function settle(action: () => void): void {
  try {
    action();
  } catch {
    /* channel gone */
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
