import { EventEmitter } from 'node:events';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { ChannelWrapper } from 'amqp-connection-manager';
import {
  BrokerConnection,
  DEFAULT_ROOM,
  ERROR_CODES,
  PRESENCE_ROUTING_KEY,
  WarrenError,
  type ConnectionStatus,
} from '../../shared/index.js';
import { amqpUrlWithCredentials, type ClientCredentials } from '../../shared/broker-identity.js';
import { clientQueueOptions, declareSecureTopology, type SecureTopology } from '../../shared/secure-topology.js';
import { Outbox } from './outbox.js';

/** The broker side of ClientSecurity: secure mode carries the minted credentials. */
export type LinkSecurity = { mode: 'secure'; credentials: ClientCredentials; coordinatorUser: string } | { mode: 'open'; clientId: string };

export interface ClientLinkOptions {
  amqpUrl: string;
  security: LinkSecurity;
  topology: SecureTopology;
  reconnectBackoff?: { initialMs: number; maxMs: number } | undefined;
}

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
  private readonly outbox = new Outbox();
  private setups = 0;
  /** Secure mode: the broker lets us bind to `<ns>.events` only once the coordinator bound our id to a name. */
  private followingEvents = false;
  private untrustedDrops = 0;

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
      ...(options.reconnectBackoff ? { backoff: options.reconnectBackoff } : {}),
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
    await this.channel.addSetup((channel: ConfirmChannel) => this.bindEvents(channel));
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
  publish(kind: 'chat' | 'command', id: string, body: unknown, answered: Promise<unknown>, onConfirmed?: () => void): void {
    this.outbox.add({
      id,
      exchange: this.topology.inputExchange,
      routingKey: kind === 'chat' ? this.topology.chatRoutingKey : this.topology.commandRoutingKey,
      content: Buffer.from(JSON.stringify(body)),
      options: {
        persistent: true,
        contentType: 'application/json',
        correlationId: id,
        // Secure mode: the broker refuses a userId that is not our login (406), so this proves who sent it;
        // the coordinator answers on the queue derived from it and ignores any replyTo.
        ...(this.security.mode === 'secure' ? { userId: this.clientId } : { replyTo: this.queue }),
      },
      onConfirmed,
    });
    const forget = (): void => this.outbox.remove(id);
    answered.then(forget, forget);
  }

  async close(): Promise<void> {
    this.outbox.close();
    await this.channel.close().catch(() => undefined);
    await this.connection.close();
  }

  /** Replayed on every (re)connect: our queue must be consuming before any request is sent. */
  private async setup(channel: ConfirmChannel): Promise<void> {
    if (this.security.mode === 'open') {
      // Open mode: everyone may declare, so a message sent before the coordinator's first start waits
      // in the input queue. Secure mode: only the coordinator may (clients have no configure right).
      await declareSecureTopology(channel, this.topology);
    }
    await channel.assertQueue(this.queue, clientQueueOptions());
    if (this.security.mode === 'open') await this.bindEvents(channel);
    // No acks on our own queue: it dies with the connection anyway, and what it loses is fetched from history.
    await channel.consume(this.queue, (msg: ConsumeMessage | null) => msg && this.onDelivery(msg), { noAck: true });
    this.setups += 1;
    channel.on('close', () => {
      this.outbox.detach(channel);
      this.emit('down');
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
