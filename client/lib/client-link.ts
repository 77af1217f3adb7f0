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
  type Topology,
} from '../../shared/index.js';
import type { Channel } from 'amqplib';
import { reopenWhenClosedByBroker } from '../../shared/channel-guard.js';
import { Outbox } from './outbox.js';

export interface ClientLinkOptions {
  amqpUrl: string;
  clientId: string;
  topology: Topology;
  reconnectBackoff?: { initialMs: number; maxMs: number } | undefined;
}

export interface ClientLinkEvents {
  status: [ConnectionStatus];
  /** The body of every message that reaches our queue, in arrival order. */
  message: [Buffer];
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
  readonly channel: ChannelWrapper;
  private readonly topology: Topology;
  private readonly connection: BrokerConnection;
  private readonly outbox = new Outbox();
  private setups = 0;
  private closing = false;
  private readonly reopened = { lastMs: 0 };

  constructor(options: ClientLinkOptions) {
    super();
    this.topology = options.topology;
    this.queue = this.topology.clientQueue(options.clientId);
    this.connection = new BrokerConnection({
      url: options.amqpUrl,
      connectionName: `warren-client ${options.clientId}`,
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

  /** Resolves once connected with our queue ready to receive (waits through retries). */
  async connect(): Promise<void> {
    await this.connection.waitForConnect();
    await this.channel.waitForConnect();
  }

  /**
   * Publishes through the outbox (in order, again after a reconnect) until `answered` settles.
   * `onConfirmed` runs each time the broker confirms a copy.
   */
  publish(queue: string, id: string, body: unknown, answered: Promise<unknown>, onConfirmed?: () => void, onRefused?: (error: WarrenError) => void): void {
    this.outbox.add({
      id,
      queue,
      content: Buffer.from(JSON.stringify(body)),
      options: { persistent: true, contentType: 'application/json', replyTo: this.queue, correlationId: id },
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
  private async setup(channel: ConfirmChannel): Promise<void> {
    // Only the exchange our queue binds to: the input queues are the coordinator's, with caps a
    // client does not know; a message sent before they exist comes back (mandatory) and waits in the outbox.
    await channel.assertExchange(this.topology.eventsExchange, 'topic', { durable: true });
    await channel.assertQueue(this.queue, { exclusive: true, autoDelete: true, durable: false });
    await channel.bindQueue(this.queue, this.topology.eventsExchange, this.topology.roomRoutingKey(DEFAULT_ROOM));
    await channel.bindQueue(this.queue, this.topology.eventsExchange, PRESENCE_ROUTING_KEY);
    // No acks on our own queue: it dies with the connection anyway, and what it loses is fetched from history.
    await channel.consume(
      this.queue,
      (msg: ConsumeMessage | null) => {
        if (msg) this.emit('message', msg.content);
        // amqplib's sign that the broker cancelled our consumer: our queue was deleted under us.
        else this.reconnect(`our queue ${this.queue} was deleted`);
      },
      { noAck: true },
    );
    reopenWhenClosedByBroker(channel, (reason) => this.reconnect(`the broker closed our channel: ${reason}`), this.reopened);
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
}
