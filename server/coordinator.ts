import { EventEmitter } from 'node:events';
import type { Channel, ConfirmChannel } from 'amqplib';
import type { ChannelWrapper } from 'amqp-connection-manager';
import { BrokerConnection, DEFAULT_QUEUE_CAPS, OPEN_BROKER_WARNING, redactUrl, type ConnectionStatus } from '../shared/index.js';
import { declareSecureTopology, secureTopologyFor, type SecureTopology } from '../shared/secure-topology.js';
import { SecureBrokerAccess } from './authority/broker-access.js';
import { storeConfigOf, type CoordinatorDeps, type CoordinatorOptions } from './coordinator-options.js';
import type { CoordinatorExtension, ExtensionHost } from './extension.js';
import { contextsFor } from './handlers/context.js';
import { InFlight } from './in-flight.js';
import type { ContextFor } from './input/handle-input.js';
import { InputPipeline } from './input/input-pipeline.js';
import { countCoordinators, inputQueueLabels, othersAlive } from './input/input-queues.js';
import { PartitionBalancer } from './input/partition-share.js';
import { SenderGuard } from './input/sender-guard.js';
import { ChatLog } from './log/chat-log.js';
import { repairChatLog } from './log/chat-log-repair.js';
import type { Logger } from './logger.js';
import type { CoordinatorMetrics } from './observability/coordinator-metrics.js';
import type { ReadinessCheck } from './observability/metrics-server.js';
import { QueueDepths } from './observability/queue-depths.js';
import { OutcomePublisher } from './output/outcome-publisher.js';
import { DEFAULT_RATE_RULES, MemoryRateLimits } from './rate-limits/rate-limits.js';
import { Activation } from './state/activation.js';
import { Registry } from './state/registry.js';
import { AccountStore } from './store/account-store.js';
import { authorityMemory } from './store/authority-memory.js';
import { openStore } from './store/open-store.js';
import type { SqlStore } from './store/sql-store.js';
import type { Store } from './store/store.js';
import { ExpiryScheduler, expireMessages } from './sweeps/message-expiry.js';
import { InputLiveness, LIVENESS_HEADER, livenessIntervalMs } from './sweeps/input-liveness.js';
import { SessionSweep } from './sweeps/session-sweep.js';
import { StallRecord } from './sweeps/stall-record.js';
import { DEFAULT_PRECONDITION_RETRY_MS, TopologyKeeper } from './sweeps/topology-keeper.js';
import { DEFAULT_TOPOLOGY_CHECK_MS } from './sweeps/topology-watch.js';

/** How long the coordinator retries the broker's refusals in secure mode before giving up. */
const COORDINATOR_REFUSED_GRACE_MS = 30_000;

export type { BrokerSecurity, CoordinatorDeps, CoordinatorOptions } from './coordinator-options.js';

/**
 * The coordinator wires the pipeline and owns start and stop. An input goes
 * input/input-pipeline.ts (consume, group commit, ack) → input/retry-or-dead-letter.ts →
 * input/handle-input.ts (decode) → handlers/ (decide an Outcome) → output/outcome-publisher.ts
 * (chat log, then publish with confirms); the sweeps (sweeps/) feed the same publisher.
 */
export class Coordinator extends EventEmitter<{ status: [ConnectionStatus]; serving: [] }> {
  readonly topology: SecureTopology;
  private readonly store: Store;
  /** The same store as `store`, for what only the SQL store has (its database: is it open, for readiness). */
  private readonly sqlStore: SqlStore;
  private authority: SecureBrokerAccess | undefined;
  private readonly accounts: AccountStore;
  private readonly chatLog: ChatLog;
  private readonly registry: Registry;
  private readonly activation: Activation;
  private readonly expiry: ExpiryScheduler;
  /** The handlers' view of this coordinator, for one input at a time. */
  private readonly context: ContextFor;
  private readonly extension: CoordinatorExtension | undefined;
  private readonly publisher: OutcomePublisher;
  private readonly inFlight: InFlight;
  private readonly input: InputPipeline;
  private readonly sessions: SessionSweep;
  /** Whether the input queues held here deliver: a session is timed out only while they do. */
  private readonly liveness: InputLiveness;
  private readonly balancer: PartitionBalancer;
  /** Notices and restores what vanished from the broker; `keeper.brokerEvents` is the authority's hook. */
  readonly keeper: TopologyKeeper;
  private connection: BrokerConnection | undefined;
  /** A throwaway channel on the current connection, for the broker's answers about queues. */
  private readonly openChannel = async (): Promise<Channel | undefined> => this.connection?.openThrowawayChannel();
  private channel: ChannelWrapper | undefined;
  private stopping: Promise<void> | undefined;
  /** When the broker connection last came up; undefined while it is down. */
  private connectedSinceMs: number | undefined;
  private readonly metrics: CoordinatorMetrics | undefined;

  constructor(
    private readonly options: CoordinatorOptions,
    private readonly logger: Logger,
    deps: CoordinatorDeps = {},
  ) {
    super();
    this.metrics = deps.metrics;
    this.topology = secureTopologyFor(options.namespace);
    const store = deps.store ?? openStore(storeConfigOf(options, logger));
    this.store = store;
    this.sqlStore = store;
    this.accounts = new AccountStore(store.database, options.scrypt);
    this.chatLog = new ChatLog(options.logDir, options.chatLogFile);
    this.registry = new Registry(this.store, options.sessionTimeoutMs, Date.now());
    this.activation = new Activation(this.store, options.minUsers ?? 1);
    this.extension = deps.extension;
    this.inFlight = new InFlight(logger);
    const secure = options.security.mode === 'secure' ? options.security : undefined;
    this.publisher = new OutcomePublisher({
      topology: this.topology,
      chatLog: this.chatLog,
      channel: () => this.channel,
      extension: this.extension,
      userId: secure?.coordinatorUser,
      endedSessions: secure ? { revoke: (ids) => this.authority?.revoke(ids), disconnect: (ids) => this.authority?.disconnectLater(ids) } : undefined,
      deadLetterBodyBytes: options.deadLetterBodyBytes,
      batching: this.registry,
    });
    const carryOut = (outcome: Parameters<OutcomePublisher['carryOut']>[0]): void => this.inFlight.track(this.publisher.carryOut(outcome));
    this.expiry = new ExpiryScheduler((nums) => carryOut(expireMessages(nums, this.context(new Date(), undefined))));
    this.context = contextsFor({
      activation: this.activation,
      expiry: this.expiry,
      registry: this.registry,
      store: this.store,
      accounts: this.accounts,
      topology: this.topology,
      logDir: this.chatLog.dir,
      historyOnJoin: options.historyOnJoin,
      sessionTimeoutMs: options.sessionTimeoutMs,
    });
    const partitions = options.inputPartitions ?? 1;
    this.input = new InputPipeline({
      topology: this.topology,
      partitions,
      othersAlive: othersAlive(this.topology, partitions, this.openChannel),
      ...(options.takeoverGraceMs === undefined ? {} : { takeoverGraceMs: options.takeoverGraceMs }),
      turn: (fn) => this.registry.duringTurn(fn),
      ...(options.commitWindowMs === undefined ? {} : { commitWindowMs: options.commitWindowMs }),
      beforeCommit: () => this.registry.writeTouches(),
      store: this.store,
      publisher: this.publisher,
      contextFor: this.context,
      logger,
      inFlight: this.inFlight,
      guard: secure ? new SenderGuard(this.topology, { identity: (id) => this.authority?.identity(id), bind: (id, name) => this.authority?.bind(id, name) ?? 'unknown' }) : undefined,
      admission: {
        accounts: this.accounts,
        registry: this.registry,
        rateLimits: new MemoryRateLimits(options.rateRules ?? DEFAULT_RATE_RULES),
        ...(options.scrypt ? { scrypt: options.scrypt } : {}),
      },
      onCancelled: (queue) => this.keeper.watch.consumerCancelled(queue),
      onLivenessProbe: (queue, probeId) => this.liveness.arrived(queue, probeId),
      coordinatorUser: secure?.coordinatorUser,
      metrics: deps.metrics,
    });
    if (deps.metrics) {
      const depths = new QueueDepths({
        queues: inputQueueLabels(this.topology, partitions),
        openChannel: this.openChannel,
      });
      deps.metrics.attach({
        sessionsOnline: () => this.registry.size,
        rooms: () => (this.sqlStore.database.open ? this.store.rooms().length : 0),
        queueDepths: () => depths.current(),
        inputQueuesStalled: () => this.liveness.stalledQueues.length,
      });
    }
    this.keeper = new TopologyKeeper({
      topology: this.topology,
      connection: () => this.connection,
      declare: (channel) => declareSecureTopology(channel, this.topology, options.queueCaps ?? DEFAULT_QUEUE_CAPS, partitions),
      partitions,
      input: this.input,
      prefetch: options.prefetch,
      logger,
      checkIntervalMs: options.topologyCheckMs ?? DEFAULT_TOPOLOGY_CHECK_MS,
      preconditionRetryMs: options.preconditionRetryMs ?? DEFAULT_PRECONDITION_RETRY_MS,
      stopping: () => this.stopping !== undefined,
    });
    this.balancer = new PartitionBalancer({
      partitions,
      coordinators: () => countCoordinators(this.topology, this.openChannel),
      activeQueues: () => this.input.activeQueues,
      release: (queue) => this.input.release(queue),
      logger,
    });
    const probeEveryMs = livenessIntervalMs(options.sessionTimeoutMs);
    const stalls = new StallRecord(this.store, logger);
    this.liveness = new InputLiveness({
      activeQueues: () => this.input.activeQueues.map(({ queue }) => queue),
      send: (queue, probeId) => this.sendLivenessProbe(queue, probeId),
      intervalMs: probeEveryMs,
      stallMs: 2 * probeEveryMs,
      onStalled: (nowMs) => stalls.note(nowMs),
      logger,
    });
    this.sessions = new SessionSweep({
      registry: this.registry,
      store: this.store,
      accounts: this.accounts,
      sessionTimeoutMs: options.sessionTimeoutMs,
      // Connected, our own input flowing, and no coordinator of the deployment stalled meanwhile.
      reachableSinceMs: () => {
        const flowing = this.liveness.flowingSinceMs;
        return this.connectedSinceMs === undefined || flowing === undefined ? undefined : Math.max(this.connectedSinceMs, flowing, stalls.lastMs());
      },
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

    const url = await this.brokerUrl();
    const connection = new BrokerConnection({
      url,
      connectionName: `warren-coordinator ${this.topology.namespace}`,
      noDelay: this.options.amqpNoDelay ?? true,
      heartbeatSeconds: this.options.amqpHeartbeatSeconds ?? 5,
      nodeOrder: this.options.amqpNodeOrder ?? 'spread',
      // Secure mode: the authority deciding our login may be another coordinator's, briefly away
      // while this one's takes its port over (docs/SECURITY.md §2.2): its refusals are retried.
      ...(this.authority ? { retryRefusedForMs: COORDINATOR_REFUSED_GRACE_MS } : {}),
    });
    this.connection = connection;
    let connectedBefore = false;
    connection.on('status', (status) => {
      if (status.state === 'connected') {
        if (connectedBefore) this.metrics?.reconnected();
        connectedBefore = true;
        this.connectedSinceMs = Date.now();
        this.liveness.reset();
      } else if (status.state !== 'connecting') {
        this.connectedSinceMs = undefined;
        this.liveness.reset();
      }
      this.describeStatus(status);
      this.emit('status', status);
    });
    const serving = new Promise<void>((resolve) => this.once('serving', resolve));
    this.channel = connection.createChannel((channel: ConfirmChannel) => this.setup(channel), 'coordinator');
    this.channel.on('error', (err) => this.logger.error(`channel error: ${err instanceof Error ? err.message : String(err)}`));
    await Promise.race([serving, connection.waitForConnect().then(() => serving)]);
    // Client logins are refused until the authority counts connections: serve them from the start.
    await this.authority?.ready();
    if (this.extension) await this.extension.start(this.extensionHost(connection));
    for (const { num, expiresAt } of this.store.expiringMessages()) this.expiry.schedule(num, expiresAt);
    this.sessions.start();
    this.liveness.start();
    this.keeper.start();
    this.balancer.start();
  }

  /** Ordered and idempotent: stop consuming, finish in-flight work, close the broker, the log and the store. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.balancer.stop();
    this.keeper.stop();
    this.sessions.stop();
    this.liveness.stop();
    this.expiry.stop();
    // What waits is published now, and later changes (inputs still in hand) go out at once.
    this.publisher.stop();
    await this.input.stop();
    await this.extension?.stop();
    await this.inFlight.settled(5000);
    await this.channel?.close().catch(() => undefined);
    await this.connection?.close();
    await this.authority?.stop();
    this.chatLog.append({ kind: 'STOP', serverTs: new Date().toISOString(), detail: 'graceful shutdown' });
    this.chatLog.close();
    this.store.close();
  }

  /**
   * What /readyz checks: connected to the broker, the store open, consuming every input queue
   * (whether the broker makes this coordinator the active consumer of a partition is its choice).
   * Each is read when asked, never cached.
   */
  readiness(): ReadinessCheck[] {
    return [
      { name: 'broker', check: () => this.connection?.isConnected === true && this.stopping === undefined },
      { name: 'store', check: () => this.sqlStore.database.open },
      { name: 'consuming', check: () => this.input.consuming === this.input.queueCount },
    ];
  }

  /** The authority's port (secure mode, once started): the broker must be configured with it. */
  get authorityPort(): number | undefined {
    return this.authority?.port;
  }

  /**
   * Secure mode: start the authority first (the broker asks it about our own login), with the
   * identities and coordinator logins in the store so a restart keeps clients working and several
   * coordinators let each other in, and log in as the coordinator.
   * Open mode: say plainly what that means, and use the URL as given.
   */
  private async brokerUrl(): Promise<string> {
    const security = this.options.security;
    if (security.mode === 'open') {
      this.logger.warn(OPEN_BROKER_WARNING);
      return this.options.amqpUrl;
    }
    this.authority = await SecureBrokerAccess.start({
      settings: security,
      namespace: this.topology.namespace,
      amqpUrl: this.options.amqpUrl,
      ...authorityMemory(this.store),
      brokerEvents: this.keeper.brokerEvents,
      logger: this.logger,
    });
    return this.authority.coordinatorUrl;
  }

  private async setup(channel: ConfirmChannel): Promise<void> {
    // One input path in both modes: clients publish to `<ns>.input`, bound to the capped input queues
    // (the keeper declares them with declareSecureTopology and the caps, and starts consuming).
    if (!(await this.keeper.setup(channel))) return;
    const partitions = this.options.inputPartitions ?? 1;
    this.logger.info(partitions === 1 ? `serving ${this.topology.chatQueue} and ${this.topology.commandQueue}` : `serving ${this.topology.chatQueue} and ${this.topology.commandQueue} in ${partitions} partitions each`);
    this.emit('serving');
  }

  /** A liveness probe straight to one input queue (the coordinator may write to `amq.default`); not while offline. */
  private sendLivenessProbe(queue: string, probeId: string): boolean {
    const channel = this.channel;
    if (!channel || this.connection?.isConnected !== true) return false;
    const userId = this.options.security.mode === 'secure' ? this.options.security.coordinatorUser : undefined;
    // Empty, through amq.default, as the coordinator user: the pipeline counts nothing else as a probe.
    channel.publish('', queue, Buffer.alloc(0), { headers: { [LIVENESS_HEADER]: probeId }, ...(userId ? { userId } : {}) }).catch(() => undefined);
    return true;
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
    if (status.state === 'connected') this.logger.info(`connected to ${status.broker}`);
    else if (status.state === 'reconnecting') {
      this.logger.warn(`broker ${url} unavailable (${status.reason}); retrying in ${status.delayMs} ms (attempt ${status.attempt})`);
    } else if (status.state === 'failed') this.logger.error(status.error.message);
  }
}
