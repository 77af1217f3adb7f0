import { randomBytes } from 'node:crypto';
import amqplib, { type ChannelModel, type ConsumeMessage } from 'amqplib';
import { redactUrl } from '../../shared/broker-urls.js';

const EVENT_EXCHANGE = 'amq.rabbitmq.event';
/** The name a probe connection gives itself: its `connection.created` event says which node the stream is on. */
export const PROBE_CONNECTION_NAME = 'warren-authority-probe';
const HEARTBEAT_SECONDS = 5;

export interface EventStreamOptions {
  /** One node's AMQP URL, with the coordinator's credentials. */
  url: string;
  namespace: string;
  /** Routing keys of `amq.rabbitmq.event` to follow. */
  keys: readonly string[];
  retryMs: number;
  /** TCP connect and AMQP handshake of one attempt. */
  connectTimeoutMs: number;
  onEvent(routingKey: string, headers: Record<string, unknown>): void;
  /** The stream runs (its queue bound and consumed). */
  onLive(stream: EventStream): void;
  /** A stream that ran has stopped (its connection closed); it tries again every `retryMs`. */
  onLost(stream: EventStream, reason: string): void;
  /** An attempt failed (the node is down, or refuses us). */
  onAttemptFailed(stream: EventStream, reason: string): void;
}

/**
 * `amq.rabbitmq.event` followed through one node: a connection to that node only, an exclusive
 * queue there bound to the keys. Every node of a cluster publishes its own events to the exchange,
 * so any one stream sees the whole cluster's; the tracker follows one per node so that losing a
 * node loses at most the stream on it. Once running, a short probe connection to the same URL
 * makes the node announce itself (`connection.created` carries `node`), so the tracker knows
 * which node this stream's loss means.
 */
export class EventStream {
  /** Shown in the probe's connection name; matched against `user_provided_name`. */
  readonly tag = randomBytes(6).toString('hex');
  /** The broker's node name, once the probe's event has been seen. */
  node: string | undefined;
  private connection: ChannelModel | undefined;
  private running = false;
  private streaming = false;
  private retryTimer: NodeJS.Timeout | undefined;

  private readonly url: string;

  constructor(private readonly options: EventStreamOptions) {
    // A node that goes silent (a frozen host) is given up after about two missed beats, as the
    // coordinator's own connection is (WARREN_AMQP_HEARTBEAT's default), not after the broker's 60 s.
    const url = new URL(options.url);
    if (!url.searchParams.has('heartbeat')) url.searchParams.set('heartbeat', String(HEARTBEAT_SECONDS));
    this.url = url.toString();
  }

  get live(): boolean {
    return this.streaming;
  }

  /** The URL with its password hidden, for log lines. */
  get where(): string {
    return redactUrl(this.options.url);
  }

  get probeName(): string {
    return `${PROBE_CONNECTION_NAME} ${this.tag}`;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.connect();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.streaming = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const connection = this.connection;
    this.connection = undefined;
    if (connection) await connection.close().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (!this.running) return;
    let connection: ChannelModel | undefined;
    try {
      connection = await amqplib.connect(this.url, { timeout: this.options.connectTimeoutMs, clientProperties: { connection_name: `warren-authority-events ${this.tag}` } });
      if (!this.running) {
        await connection.close().catch(() => undefined);
        return;
      }
      this.connection = connection;
      const current = connection;
      connection.on('error', () => undefined);
      connection.on('close', (err?: Error) => {
        if (this.connection !== current) return;
        this.connection = undefined;
        const wasLive = this.streaming;
        this.streaming = false;
        if (!this.running) return;
        if (wasLive) this.options.onLost(this, err?.message ?? 'connection closed');
        this.scheduleRetry();
      });
      const channel = await connection.createChannel();
      channel.on('error', () => undefined);
      const queue = `${this.options.namespace}.authority.events.${randomBytes(6).toString('hex')}`;
      await channel.assertQueue(queue, { exclusive: true, autoDelete: true, durable: false, arguments: { 'x-max-length': 100_000 } });
      for (const key of new Set(this.options.keys)) await channel.bindQueue(queue, EVENT_EXCHANGE, key);
      await channel.consume(queue, (msg: ConsumeMessage | null) => {
        if (msg) this.options.onEvent(msg.fields.routingKey, (msg.properties.headers ?? {}) as Record<string, unknown>);
      }, { noAck: true });
      if (this.connection !== connection) throw new Error('connection closed while setting up');
      this.streaming = true;
      this.options.onLive(this);
      void this.probe();
    } catch (err) {
      if (connection && this.connection === connection) {
        this.connection = undefined;
        await connection.close().catch(() => undefined);
      }
      if (!this.running) return;
      this.options.onAttemptFailed(this, err instanceof Error ? err.message : String(err));
      this.scheduleRetry();
    }
  }

  /** Opens and closes one connection to the same URL: its `connection.created` names the node. */
  private async probe(): Promise<void> {
    try {
      const probe = await amqplib.connect(this.url, { timeout: this.options.connectTimeoutMs, clientProperties: { connection_name: this.probeName } });
      probe.on('error', () => undefined);
      await probe.close().catch(() => undefined);
    } catch {
      /* the node is unknown until the next start of this stream: its loss then resets nothing of its own */
    }
  }

  private scheduleRetry(): void {
    if (this.retryTimer || !this.running) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.connect();
    }, this.options.retryMs);
    this.retryTimer.unref();
  }
}
