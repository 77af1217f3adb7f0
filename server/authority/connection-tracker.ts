import { randomBytes } from 'node:crypto';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { connectFirstNode } from '../../shared/first-node.js';
import type { ConnectionCounts } from './policy.js';

export interface TrackerLogger {
  info(message: string): void;
  warn(message: string): void;
}

export interface ConnectionTrackerOptions {
  /** AMQP URL with the coordinator's credentials (it has read on `amq.rabbitmq.event`). */
  url: string;
  /** The tracker's own queue is `<namespace>.authority.events.<random>`, so it falls under the coordinator's rights. */
  namespace: string;
  logger?: TrackerLogger;
  /** How long an allowed connection counts before the broker reports it. Default 10 s. */
  reservationMs?: number;
  /** Wait between reconnection attempts. Default 1 s. */
  retryMs?: number;
  now?: () => number;
  /**
   * More routing keys of `amq.rabbitmq.event` to follow on the same queue (e.g. `queue.deleted`,
   * `exchange.deleted`, `binding.deleted`, `consumer.deleted`, for the coordinator's watch of its
   * own names); each event, these and the connection ones, goes to `onEvent` too.
   */
  extraEvents?: readonly string[];
  onEvent?: (routingKey: string, headers: Readonly<Record<string, unknown>>) => void;
}

const EVENT_EXCHANGE = 'amq.rabbitmq.event';
const EVENTS = ['connection.created', 'connection.closed'] as const;

/**
 * Live AMQP connections per broker user, from the `rabbitmq_event_exchange` plugin:
 * `connection.created` carries `user` and `pid`, `connection.closed` only `pid` (checked on
 * 3.10.8), so users are remembered per pid. Counts start at zero when the stream starts: a
 * connection opened before (or while the stream was down) is not counted, which makes the cap
 * lenient, never stricter, after a restart. While the stream is down `live` is false and the
 * policy refuses client connections (fails closed).
 */
export class ConnectionTracker implements ConnectionCounts {
  private readonly byPid = new Map<string, { user: string; name: string | undefined }>();
  private readonly perUser = new Map<string, number>();
  private readonly reservations = new Map<string, number[]>();
  private connection: ChannelModel | undefined;
  private running = false;
  private streaming = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly reservationMs: number;
  private readonly retryMs: number;
  private readonly now: () => number;
  private readonly logger: TrackerLogger;
  private firstLive: { promise: Promise<void>; resolve: () => void };

  constructor(private readonly options: ConnectionTrackerOptions) {
    this.reservationMs = options.reservationMs ?? 10_000;
    this.retryMs = options.retryMs ?? 1_000;
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? { info: () => undefined, warn: () => undefined };
    let resolve = (): void => undefined;
    const promise = new Promise<void>((r) => (resolve = r));
    this.firstLive = { promise, resolve };
  }

  get live(): boolean {
    return this.streaming;
  }

  count(username: string): number {
    return (this.perUser.get(username) ?? 0) + this.pending(username).length;
  }

  reserve(username: string): void {
    this.reservations.set(username, [...this.pending(username), this.now() + this.reservationMs]);
  }

  /** The broker's names of a user's live connections (`127.0.0.1:5000 -> 127.0.0.1:5672`), as the management API names them. */
  connectionNames(username: string): string[] {
    const names: string[] = [];
    for (const entry of this.byPid.values()) if (entry.user === username && entry.name !== undefined) names.push(entry.name);
    return names;
  }

  /** Starts following the event stream (retrying until stopped); `whenLive` tells when counts are known. */
  start(): void {
    if (this.running) return;
    this.running = true;
    void this.connect();
  }

  /** Resolves once the stream has run at least once. */
  whenLive(): Promise<void> {
    return this.firstLive.promise;
  }

  /** Idempotent. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const connection = this.connection;
    this.connection = undefined;
    this.lose();
    if (connection) await connection.close().catch(() => undefined);
  }

  /** Applies one event; public for the unit tests, which feed events without a broker. */
  apply(routingKey: string, headers: Record<string, unknown>): void {
    const pid = typeof headers.pid === 'string' ? headers.pid : undefined;
    if (!pid) return;
    if (routingKey === 'connection.created') {
      const user = typeof headers.user === 'string' ? headers.user : undefined;
      if (!user || this.byPid.has(pid)) return;
      this.byPid.set(pid, { user, name: typeof headers.name === 'string' ? headers.name : undefined });
      this.perUser.set(user, (this.perUser.get(user) ?? 0) + 1);
      // The reservation made when this connection was allowed now becomes a real count.
      const pending = this.pending(user);
      pending.shift();
      this.setPending(user, pending);
    } else if (routingKey === 'connection.closed') {
      const user = this.byPid.get(pid)?.user;
      if (user === undefined) return;
      this.byPid.delete(pid);
      const left = (this.perUser.get(user) ?? 1) - 1;
      if (left > 0) this.perUser.set(user, left);
      else this.perUser.delete(user);
    }
  }

  private async connect(): Promise<void> {
    if (!this.running) return;
    let connection: ChannelModel | undefined;
    try {
      connection = await connectFirstNode(this.options.url, { clientProperties: { connection_name: 'warren-authority-events' } });
      if (!this.running) {
        await connection.close().catch(() => undefined);
        return;
      }
      this.connection = connection;
      connection.on('error', () => undefined);
      connection.on('close', () => {
        if (this.connection !== connection) return;
        this.connection = undefined;
        this.lose();
        if (this.running) {
          this.logger.warn('authority: the broker event stream closed; client connections are refused until it is back');
          this.scheduleRetry();
        }
      });
      const channel = await connection.createChannel();
      channel.on('error', () => undefined);
      await this.follow(channel);
      this.streaming = true;
      this.logger.info('authority: following the broker event stream (connection counts)');
      this.firstLive.resolve();
    } catch (err) {
      if (connection && this.connection === connection) {
        this.connection = undefined;
        await connection.close().catch(() => undefined);
      }
      if (!this.running) return;
      this.logger.warn(`authority: cannot follow ${EVENT_EXCHANGE} (${err instanceof Error ? err.message : String(err)}); retrying`);
      this.scheduleRetry();
    }
  }

  private async follow(channel: Channel): Promise<void> {
    const queue = `${this.options.namespace}.authority.events.${randomBytes(6).toString('hex')}`;
    await channel.assertQueue(queue, { exclusive: true, autoDelete: true, durable: false, arguments: { 'x-max-length': 100_000 } });
    for (const key of new Set([...EVENTS, ...(this.options.extraEvents ?? [])])) await channel.bindQueue(queue, EVENT_EXCHANGE, key);
    await channel.consume(queue, (msg: ConsumeMessage | null) => {
      if (!msg) return;
      const headers = (msg.properties.headers ?? {}) as Record<string, unknown>;
      this.apply(msg.fields.routingKey, headers);
      try {
        this.options.onEvent?.(msg.fields.routingKey, headers);
      } catch (err) {
        this.logger.warn(`authority: a broker event listener failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }, { noAck: true });
  }

  private scheduleRetry(): void {
    if (this.retryTimer || !this.running) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.connect();
    }, this.retryMs);
    this.retryTimer.unref();
  }

  /** Whatever happened while nobody listened is unknown: start over from zero. */
  private lose(): void {
    this.streaming = false;
    this.byPid.clear();
    this.perUser.clear();
    this.reservations.clear();
  }

  private pending(username: string): number[] {
    const now = this.now();
    return (this.reservations.get(username) ?? []).filter((expiry) => expiry > now);
  }

  private setPending(username: string, pending: number[]): void {
    if (pending.length > 0) this.reservations.set(username, pending);
    else this.reservations.delete(username);
  }
}
