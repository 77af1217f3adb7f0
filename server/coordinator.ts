import { EventEmitter } from 'node:events';
import type { ConfirmChannel } from 'amqplib';
import type { ChannelWrapper } from 'amqp-connection-manager';
import { BrokerConnection, DEFAULT_QUEUE_CAPS, declareSharedTopology, redactUrl, topologyFor, type ConnectionStatus, type QueueCaps, type Topology } from '../shared/index.js';
import type { CoordinatorExtension, ExtensionHost } from './extension.js';
import type { HandlerContext } from './handlers/context.js';
import { InFlight } from './in-flight.js';
import { InputPipeline } from './input/input-pipeline.js';
import { ChatLog } from './log/chat-log.js';
import { repairChatLog } from './log/chat-log-repair.js';
import type { Logger } from './logger.js';
import { OutcomePublisher } from './output/outcome-publisher.js';
import { Activation } from './state/activation.js';
import { Registry } from './state/registry.js';
import { SqliteStore } from './store/sqlite-store.js';
import type { Store } from './store/store.js';
import { ExpiryScheduler, expireMessages } from './sweeps/message-expiry.js';
import { SessionSweep } from './sweeps/session-sweep.js';
import { DEFAULT_PRECONDITION_RETRY_MS, TopologyKeeper } from './sweeps/topology-keeper.js';
import { DEFAULT_TOPOLOGY_CHECK_MS } from './sweeps/topology-watch.js';

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
  /** Caps of the input and dead-letter queues (settings; DEFAULT_QUEUE_CAPS). */
  queueCaps?: QueueCaps;
  /** Bytes of a refused body its dead-letter copy keeps. */
  deadLetterBodyBytes?: number;
  /** How often the topology watch checks that queues, exchanges and bindings are still there. */
  topologyCheckMs?: number;
  /** How often start-up tries again after a 406 from a queue an earlier version declared. */
  preconditionRetryMs?: number;
}

/** What the coordinator does not build itself: an extension (main.ts passes the legacy bridge), and faults for tests. */
export interface CoordinatorDeps {
  store?: Store;
  extension?: CoordinatorExtension;
}

/**
 * The coordinator wires the pipeline and owns start and stop. An input goes
 * input/input-pipeline.ts (consume, group commit, ack) → input/retry-or-dead-letter.ts →
 * input/handle-input.ts (decode) → handlers/ (decide an Outcome) → output/outcome-publisher.ts
 * (chat log, then publish with confirms); the sweeps (sweeps/) feed the same publisher.
 */
export class Coordinator extends EventEmitter<{ status: [ConnectionStatus]; serving: [] }> {
  readonly topology: Topology;
  private readonly store: Store;
  private readonly chatLog: ChatLog;
  private readonly registry: Registry;
  private readonly activation: Activation;
  private readonly expiry: ExpiryScheduler;
  private readonly extension: CoordinatorExtension | undefined;
  private readonly publisher: OutcomePublisher;
  private readonly inFlight: InFlight;
  private readonly input: InputPipeline;
  private readonly sessions: SessionSweep;
  /** Notices and restores what vanished from the broker; `keeper.brokerEvents` is the authority's hook. */
  readonly keeper: TopologyKeeper;
  private connection: BrokerConnection | undefined;
  private channel: ChannelWrapper | undefined;
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
    this.extension = deps.extension;
    this.inFlight = new InFlight(logger);
    this.publisher = new OutcomePublisher({
      topology: this.topology,
      chatLog: this.chatLog,
      channel: () => this.channel,
      extension: this.extension,
      deadLetterBodyBytes: options.deadLetterBodyBytes,
    });
    const carryOut = (outcome: Parameters<OutcomePublisher['carryOut']>[0]): void => this.inFlight.track(this.publisher.carryOut(outcome));
    this.expiry = new ExpiryScheduler((nums) => carryOut(expireMessages(nums, this.context(new Date(), undefined))));
    this.input = new InputPipeline({
      topology: this.topology,
      store: this.store,
      publisher: this.publisher,
      contextFor: (now, replyTo) => this.context(now, replyTo),
      logger,
      inFlight: this.inFlight,
      onCancelled: (queue) => this.keeper.watch.consumerCancelled(queue),
    });
    this.keeper = new TopologyKeeper({
      topology: this.topology,
      connection: () => this.connection,
      declare: (channel) => declareSharedTopology(channel, this.topology, options.queueCaps ?? DEFAULT_QUEUE_CAPS),
      input: this.input,
      prefetch: options.prefetch,
      logger,
      checkIntervalMs: options.topologyCheckMs ?? DEFAULT_TOPOLOGY_CHECK_MS,
      preconditionRetryMs: options.preconditionRetryMs ?? DEFAULT_PRECONDITION_RETRY_MS,
      stopping: () => this.stopping !== undefined,
    });
    this.sessions = new SessionSweep({
      registry: this.registry,
      sessionTimeoutMs: options.sessionTimeoutMs,
      connectedSinceMs: () => this.connectedSinceMs,
      keepsAlive: (session) => this.extension?.keepsAlive(session) ?? false,
      carryOut,
      logger,
    });
    // The extension decides; the publisher carries out, and the extension hears how it went.
    this.extension?.onWork((work) => {
      this.publisher.carryOut(work.outcome).then(
        () => work.settled(),
        (err: unknown) => work.settled(err ?? new Error('outcome not carried out')),
      );
    });
  }

  get chatLogPath(): string {
    return this.chatLog.path;
  }

  /** Resolves once the coordinator consumes its queues (it waits for the broker as long as it takes). */
  async start(): Promise<void> {
    const repaired = repairChatLog(this.store, this.chatLog);
    if (repaired > 0) this.logger.warn(`wrote ${repaired} stored message(s) missing from the chat log after a crash`);
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
    this.sessions.start();
    this.keeper.start();
  }

  /** Ordered and idempotent: stop consuming, finish in-flight work, close the broker, the log and the store. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.keeper.stop();
    this.sessions.stop();
    this.expiry.stop();
    // What waits is published now, and later changes (inputs still in hand) go out at once.
    this.publisher.stop();
    await this.input.stop();
    await this.extension?.stop();
    await this.inFlight.settled(5000);
    await this.channel?.close().catch(() => undefined);
    await this.connection?.close();
    this.chatLog.append({ kind: 'STOP', serverTs: new Date().toISOString(), detail: 'graceful shutdown' });
    this.chatLog.close();
    this.store.close();
  }

  private async setup(channel: ConfirmChannel): Promise<void> {
    if (!(await this.keeper.setup(channel))) return;
    this.logger.info(`serving ${this.topology.chatQueue} and ${this.topology.commandQueue}`);
    this.emit('serving');
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
    };
  }

  private describeStatus(status: ConnectionStatus): void {
    const url = redactUrl(this.options.amqpUrl);
    if (status.state === 'connected') this.logger.info(`connected to ${url}`);
    else if (status.state === 'reconnecting') {
      this.logger.warn(`broker ${url} unavailable (${status.reason}); retrying in ${status.delayMs} ms (attempt ${status.attempt})`);
    } else if (status.state === 'failed') this.logger.error(status.error.message);
  }
}
