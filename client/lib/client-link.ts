import { EventEmitter } from 'node:events';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { ChannelWrapper } from 'amqp-connection-manager';
import {
  BrokerConnection,
  DEFAULT_ROOM,
  ERROR_CODES,
  PARTITION_HEADER,
  PRESENCE_ROUTING_KEY,
  WarrenError,
  type ConnectionStatus,
  type NodeOrder,
  type NodePick,
} from '../../shared/index.js';
import { amqpUrlWithCredentials, type ClientCredentials } from '../../shared/broker-identity.js';
import { clientQueueOptions, type SecureTopology } from '../../shared/secure-topology.js';
import type { Channel } from 'amqplib';
import { Outbox } from './outbox.js';

/** The broker side of ClientSecurity: secure mode carries the minted credentials. */
export type LinkSecurity = { mode: 'secure'; credentials: ClientCredentials; coordinatorUser: string } | { mode: 'open'; clientId: string };

export interface ClientLinkOptions {
  amqpUrl: string;
  security: LinkSecurity;
  topology: SecureTopology;
  reconnectBackoff?: { initialMs: number; maxMs: number } | undefined;
  /** Secure mode: how long refusals (403) are retried before giving up (BrokerConnectionOptions.retryRefusedForMs). */
  refusedGraceMs?: number | undefined;
  /** TCP_NODELAY on the socket; default true (BrokerConnectionOptions.noDelay). */
  noDelay?: boolean | undefined;
  /** Seconds between AMQP heartbeats; default 5 (BrokerConnectionOptions.heartbeatSeconds). */
  heartbeatSeconds?: number | undefined;
  /** Where to start in a list of several nodes; default listed (BrokerConnectionOptions.nodeOrder: WarrenClient passes its own default). */
  nodeOrder?: NodeOrder | undefined;
  /** Tests: the starting node of `spread` (BrokerConnectionOptions.pickNode). */
  pickNode?: NodePick | undefined;
}

/** Pause before reconnecting to get a fresh channel after the broker closed ours. */
const CHANNEL_RECOVERY_MS = 1000;

/** Secure mode's default: a coordinator restart (its authority away for a few seconds) is ridden out. */
export const DEFAULT_REFUSED_GRACE_MS = 30_000;

export interface ClientLinkEvents {
  status: [ConnectionStatus];
  /** The body of every message that reaches our queue, in arrival order (secure mode: the coordinator's only). */
  message: [Buffer];
  /** Secure mode: a delivery whose `userId` is not the coordinator's; dropped. */
  untrusted: [WarrenError];
  /** The channel dropped: nothing is with the broker until the next 'ready'. */
  down: [];
  /** Our queue is consuming again after a reconnect (not after the first connect). */
  reconnected: [];
  channelError: [WarrenError];
  /** The broker cancelled our queue's consumer (the queue was deleted) or closed our channel; the link reconnects. */
  lost: [string];
}

/**
 * The client's side of the broker: one connection, one confirm channel, the client's own queue
 * (declared, bound to general and presence, consumed) and the outbox of everything published and
 * not yet answered. Set-up is replayed on every reconnect, and the outbox sends again, in order,
 * what is still unanswered. Knows nothing of what the messages mean.
 */
export class ClientLink extends EventEmitter<ClientLinkEvents> {
  readonly queue: string;
  readonly clientId: string;
  readonly channel: ChannelWrapper;
  private readonly topology: SecureTopology;
  private readonly security: LinkSecurity;
  private readonly connection: BrokerConnection;
  /** A channel whose publishes keep being nacked gets a new connection (see Outbox `onNackedAgain`). */
  private readonly outbox = new Outbox(() => this.connection.reconnect());
  private setups = 0;
  /** Secure mode: the broker lets us bind to `<ns>.events` only once the coordinator bound our id to a name. */
  private followingEvents = false;
  private untrustedDrops = 0;
  /** The set-up whose queue's loss was last said (ownQueueDeleted): one notice per loss. */
  private queueLossSaidAt: number | undefined;
  private closing = false;
  /**
   * Per channel, our queue's declaration: amqp-connection-manager runs every setup function at
   * once after a reconnect, so a binding setup must wait for it (a bind sent before the declare
   * is a 404 that closes the connection, again on every reconnect: seen when a cluster node died).
   */
  private readonly queueDeclared = new WeakMap<ConfirmChannel, Promise<unknown>>();

  constructor(options: ClientLinkOptions) {
    super();
    this.topology = options.topology;
    this.security = options.security;
    this.clientId = options.security.mode === 'secure' ? options.security.credentials.clientId : options.security.clientId;
    this.queue = this.topology.clientQueue(this.clientId);
    const url =
      options.security.mode === 'secure'
        ? amqpUrlWithCredentials(options.amqpUrl, options.security.credentials.clientId, options.security.credentials.secret)
        : options.amqpUrl;
    this.connection = new BrokerConnection({
      url,
      connectionName: `warren-client ${this.clientId}`,
      noDelay: options.noDelay ?? true,
      ...(options.heartbeatSeconds === undefined ? {} : { heartbeatSeconds: options.heartbeatSeconds }),
      ...(options.nodeOrder === undefined ? {} : { nodeOrder: options.nodeOrder }),
      ...(options.pickNode === undefined ? {} : { pickNode: options.pickNode }),
      ...(options.reconnectBackoff ? { backoff: options.reconnectBackoff } : {}),
      ...(options.security.mode === 'secure' ? { retryRefusedForMs: options.refusedGraceMs ?? DEFAULT_REFUSED_GRACE_MS } : {}),
    });
    this.connection.on('status', (status) => this.emit('status', status));
    this.channel = this.connection.createChannel((channel: ConfirmChannel) => this.setup(channel), 'client');
    this.channel.on('error', (err) => this.emit('channelError', new WarrenError(ERROR_CODES.INTERNAL, String(err))));
  }

  get status(): ConnectionStatus {
    return this.connection.status;
  }

  get isConnected(): boolean {
    return this.connection.isConnected;
  }

  /** Deliveries dropped because the coordinator did not publish them (secure mode). */
  get untrustedCount(): number {
    return this.untrustedDrops;
  }

  /**
   * Binds our queue to general and presence, now and after every reconnect. In open mode that is
   * done at connect already; in secure mode the broker allows it only after login (the id is bound).
   */
  async followEvents(): Promise<void> {
    if (this.followingEvents || this.security.mode === 'open') return;
    this.followingEvents = true;
    await this.addQueueSetup((channel) => this.bindEvents(channel));
  }

  /**
   * A setup replayed after every reconnect that needs our queue (a binding): run once the queue is
   * declared on that channel. Returns the function registered, for `channel.removeSetup`.
   */
  async addQueueSetup(setup: (channel: ConfirmChannel) => Promise<void>): Promise<(channel: ConfirmChannel) => Promise<void>> {
    const afterQueue = async (channel: ConfirmChannel): Promise<void> => {
      await this.queueDeclared.get(channel);
      await setup(channel);
    };
    await this.channel.addSetup(afterQueue);
    return afterQueue;
  }

  /** Resolves once connected with our queue ready to receive (waits through retries). */
  async connect(): Promise<void> {
    await this.connection.waitForConnect();
    await this.channel.waitForConnect();
  }

  /**
   * Publishes through the outbox (in order, again after a reconnect) until `answered` settles.
   * `onConfirmed` runs each time the broker confirms a copy.
   */
  publish(kind: 'chat' | 'command', id: string, body: unknown, answered: Promise<unknown>, onConfirmed?: () => void, onRefused?: (error: WarrenError) => void): void {
    this.outbox.add({
      id,
      exchange: this.topology.inputExchange,
      routingKey: kind === 'chat' ? this.topology.chatRoutingKey : this.topology.commandRoutingKey,
      content: Buffer.from(JSON.stringify(body)),
      options: {
        persistent: true,
        contentType: 'application/json',
        correlationId: id,
        // The input partition (shared/input-partitions.ts): all of a client's inputs hash to one
        // partition, so one coordinator at a time handles them, in the order they were sent.
        headers: { [PARTITION_HEADER]: this.clientId },
        // Secure mode: the broker refuses a userId that is not our login (406), so this proves who sent it;
        // the coordinator answers on the queue derived from it and ignores any replyTo.
        ...(this.security.mode === 'secure' ? { userId: this.clientId } : { replyTo: this.queue }),
      },
      onConfirmed,
      onRefused,
    });
    const forget = (): void => this.outbox.remove(id);
    answered.then(forget, forget);
  }

  /** A bare channel on the current connection for checks that may fail (binding-watch.ts); the caller closes it. */
  openThrowawayChannel(): Promise<Channel | undefined> {
    return this.connection.openThrowawayChannel();
  }

  /**
   * Our queue was deleted under us: said once per loss, in the same words whichever sign came
   * first (the broker cancelling our consumer, or the binding watch finding the queue missing,
   * after which the cancel may never be read: a closing connection drops what still arrives),
   * then a reconnect declares, binds and consumes it again.
   */
  ownQueueDeleted(noticedBy: string): void {
    if (this.queueLossSaidAt === this.setups) return;
    this.queueLossSaidAt = this.setups;
    this.reconnect(`our queue ${this.queue} was deleted (${noticedBy})`);
  }

  /** Start over on a new connection: the set-up (queue, bindings, consumer) is replayed and 'reconnected' fires. */
  reconnect(reason: string): void {
    if (this.closing) return;
    this.emit('lost', reason);
    this.connection.reconnect();
  }

  async close(): Promise<void> {
    this.closing = true;
    this.outbox.close();
    await this.channel.close().catch(() => undefined);
    await this.connection.close();
  }

  /** Replayed on every (re)connect: our queue must be consuming before any request is sent. */
  private async declareOwnQueue(channel: ConfirmChannel): Promise<void> {
    if (this.security.mode === 'open') {
      // Open mode: everyone may declare, but only the exchanges: the input queues are the
      // coordinator's, with caps a client does not know. A message sent before the coordinator
      // has bound them to `<ns>.input` comes back (mandatory) and waits in the outbox.
      // Secure mode: only the coordinator may declare (clients have no configure right).
      await channel.assertExchange(this.topology.eventsExchange, 'topic', { durable: true });
      await channel.assertExchange(this.topology.inputExchange, 'direct', { durable: true });
    }
    await channel.assertQueue(this.queue, clientQueueOptions());
  }

  private async setup(channel: ConfirmChannel): Promise<void> {
    // Recorded before the first await: the other setups (started right after this one) wait for it.
    const declared = this.declareOwnQueue(channel);
    this.queueDeclared.set(
      channel,
      declared.catch(() => undefined),
    );
    await declared;
    if (this.security.mode === 'open') await this.bindEvents(channel);
    // No acks on our own queue: it dies with the connection anyway, and what it loses is fetched from history.
    await channel.consume(
      this.queue,
      (msg: ConsumeMessage | null) => {
        if (msg) this.onDelivery(msg);
        // amqplib's sign that the broker cancelled our consumer: our queue was deleted under us.
        else this.ownQueueDeleted('the broker cancelled our consumer');
      },
      { noAck: true },
    );
    this.setups += 1;
    // A channel error (a permission check refused while the coordinator's authority restarts, say)
    // closes only the channel: handled here, it does not take the connection down with an
    // unhandled error, and the close below brings a fresh channel through a reconnect.
    let closedBecause: string | undefined;
    channel.on('error', (err: unknown) => {
      closedBecause = err instanceof Error ? err.message : String(err);
    });
    channel.on('close', () => {
      this.outbox.detach(channel);
      this.emit('down');
      // After a pause, so that a channel refused again and again does not spin; and only if no new
      // channel came meanwhile (when the whole connection dropped, its reconnect brings one).
      const setupsAtClose = this.setups;
      if (!this.closing) {
        setTimeout(() => {
          if (this.closing || this.setups !== setupsAtClose) return;
          // Closed by the broker (a 404 on a deleted exchange, a refused check): said, then a new channel.
          if (closedBecause !== undefined) this.reconnect(`the broker closed our channel: ${closedBecause}`);
          else this.connection.reconnect();
        }, CHANNEL_RECOVERY_MS).unref();
      }
    });
    // Answers can reach us now: send (again) everything unanswered, in the order it was sent.
    this.outbox.attach(channel);
    // After a reconnect, anything published while we were away was dropped with our old queue.
    if (this.setups > 1) this.emit('reconnected');
  }

  private async bindEvents(channel: ConfirmChannel): Promise<void> {
    await channel.bindQueue(this.queue, this.topology.eventsExchange, this.topology.roomRoutingKey(DEFAULT_ROOM));
    await channel.bindQueue(this.queue, this.topology.eventsExchange, PRESENCE_ROUTING_KEY);
  }

  /**
   * Secure mode: the broker checks `userId` against the publisher's login, so a delivery carrying
   * the coordinator's user came from the coordinator. Anything else (a legacy guest writing through
   * the default exchange, say) is dropped and counted, on our queue and room bindings alike.
   */
  private onDelivery(msg: ConsumeMessage): void {
    if (this.security.mode === 'secure' && msg.properties.userId !== this.security.coordinatorUser) {
      this.untrustedDrops += 1;
      const who = typeof msg.properties.userId === 'string' ? `broker user ${JSON.stringify(msg.properties.userId)}` : 'no broker user';
      this.emit('untrusted', new WarrenError(ERROR_CODES.UNTRUSTED_SENDER, `dropped a message not published by the coordinator (${who})`));
      return;
    }
    this.emit('message', msg.content);
  }
}
