import { brokerUrls } from '../../shared/broker-urls.js';
import { EventStream } from './event-stream.js';
import type { ConnectionCounts } from './policy.js';

export interface TrackerLogger {
  info(message: string): void;
  warn(message: string): void;
}

export interface ConnectionTrackerOptions {
  /**
   * AMQP URL with the coordinator's credentials (it has read on `amq.rabbitmq.event`); a list
   * (every node of a cluster) is followed on every node at once.
   */
  url: string;
  /** The tracker's own queues are `<namespace>.authority.events.<random>`, so they fall under the coordinator's rights. */
  namespace: string;
  logger?: TrackerLogger;
  /** How long an allowed connection counts before the broker reports it. Default 10 s. */
  reservationMs?: number;
  /** Wait between reconnection attempts of one node's stream. Default 1 s. */
  retryMs?: number;
  /** One connection attempt (TCP and handshake) to a node. Default 5 s. */
  connectTimeoutMs?: number;
  now?: () => number;
  /**
   * More routing keys of `amq.rabbitmq.event` to follow on the same queue (e.g. `queue.deleted`,
   * `exchange.deleted`, `binding.deleted`, `consumer.deleted`, for the coordinator's watch of its
   * own names); each event, these and the connection ones, goes to `onEvent` too (once, however
   * many nodes' streams deliver it).
   */
  extraEvents?: readonly string[];
  onEvent?: (routingKey: string, headers: Readonly<Record<string, unknown>>) => void;
}

const EVENTS = ['connection.created', 'connection.closed'] as const;
/** How long a closed connection's pid is remembered, so a late copy of its `connection.created` (another node's stream) is ignored. */
const CLOSED_PID_MEMORY_MS = 60_000;
/** How long an event handed to `onEvent` is remembered, so its copies from the other nodes' streams are not handed on again. */
const SEEN_EVENT_MEMORY_MS = 30_000;

/**
 * Live AMQP connections per broker user, from the `rabbitmq_event_exchange` plugin:
 * `connection.created` carries `user`, `pid` and `node`, `connection.closed` only `pid` and `node`
 * (checked on 3.10.8), so users are remembered per pid. Counts start at zero when the first stream
 * starts: a connection opened before (or while no stream ran) is not counted, which makes the cap
 * lenient, never stricter, after a restart. Given every node of a cluster, it follows the stream
 * on each node (every node's events reach every stream, so copies are applied once, by pid): the
 * death of one node leaves the counts known. While no stream runs `live` is false and the policy
 * refuses client connections (fails closed). A node whose stream closes is taken for dead: its
 * connections, which will never be reported closed, stop counting.
 */
export class ConnectionTracker implements ConnectionCounts {
  private readonly byPid = new Map<string, { user: string; name: string | undefined; node: string | undefined }>();
  private readonly perUser = new Map<string, number>();
  private readonly reservations = new Map<string, number[]>();
  private readonly closedPids = new Map<string, number>();
  private readonly seenEvents = new Map<string, number>();
  private readonly streams: EventStream[];
  private running = false;
  private readonly reservationMs: number;
  private readonly now: () => number;
  private readonly logger: TrackerLogger;
  private firstLive: { promise: Promise<void>; resolve: () => void };

  constructor(private readonly options: ConnectionTrackerOptions) {
    this.reservationMs = options.reservationMs ?? 10_000;
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? { info: () => undefined, warn: () => undefined };
    let resolve = (): void => undefined;
    const promise = new Promise<void>((r) => (resolve = r));
    this.firstLive = { promise, resolve };
    const keys = [...EVENTS, ...(options.extraEvents ?? [])];
    this.streams = brokerUrls(options.url).map(
      (url) =>
        new EventStream({
          url,
          namespace: options.namespace,
          keys,
          retryMs: options.retryMs ?? 1_000,
          connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
          onEvent: (routingKey, headers) => this.onEvent(routingKey, headers),
          onLive: (stream) => this.onLive(stream),
          onLost: (stream, reason) => this.onLost(stream, reason),
          onAttemptFailed: (stream, reason) => {
            if (!this.live) this.logger.warn(`authority: cannot follow the broker event stream on ${stream.where} (${reason}); retrying`);
          },
        }),
    );
  }

  /** Whether any node's stream runs: the counts are known. */
  get live(): boolean {
    return this.streams.some((stream) => stream.live);
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

  /** Starts following the event stream on every node (retrying until stopped); `whenLive` tells when counts are known. */
  start(): void {
    if (this.running) return;
    this.running = true;
    for (const stream of this.streams) stream.start();
  }

  /** Resolves once a stream has run at least once. */
  whenLive(): Promise<void> {
    return this.firstLive.promise;
  }

  /** Idempotent. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.streams.map((stream) => stream.stop()));
    this.lose();
  }

  /**
   * Forgets every connection of `node` (a node that died: its connections are gone, and no
   * `connection.closed` will come for them). Returns how many were dropped.
   */
  dropNode(node: string): number {
    let dropped = 0;
    for (const [pid, entry] of this.byPid) {
      if (entry.node !== node) continue;
      this.forget(pid, entry.user);
      dropped += 1;
    }
    return dropped;
  }

  /** Applies one event; public for the unit tests, which feed events without a broker. Copies of one event (one per stream) count once. */
  apply(routingKey: string, headers: Record<string, unknown>): void {
    const pid = typeof headers.pid === 'string' ? headers.pid : undefined;
    if (!pid) return;
    const node = typeof headers.node === 'string' ? headers.node : undefined;
    if (routingKey === 'connection.created') {
      const user = typeof headers.user === 'string' ? headers.user : undefined;
      if (!user || this.byPid.has(pid) || this.closedPids.has(pid)) return;
      const probeOf = this.streams.find((stream) => stream.probeName === headers.user_provided_name);
      if (probeOf && node !== undefined) probeOf.node = node;
      this.byPid.set(pid, { user, name: typeof headers.name === 'string' ? headers.name : undefined, node });
      this.perUser.set(user, (this.perUser.get(user) ?? 0) + 1);
      // The reservation made when this connection was allowed now becomes a real count.
      const pending = this.pending(user);
      pending.shift();
      this.setPending(user, pending);
    } else if (routingKey === 'connection.closed') {
      this.rememberClosed(pid);
      const user = this.byPid.get(pid)?.user;
      if (user !== undefined) this.forget(pid, user);
    }
  }

  private forget(pid: string, user: string): void {
    this.byPid.delete(pid);
    const left = (this.perUser.get(user) ?? 1) - 1;
    if (left > 0) this.perUser.set(user, left);
    else this.perUser.delete(user);
  }

  private rememberClosed(pid: string): void {
    const now = this.now();
    // Pruned as it grows: entries are in insertion order, so the oldest come first.
    for (const [old, expiry] of this.closedPids) {
      if (expiry > now) break;
      this.closedPids.delete(old);
    }
    this.closedPids.set(pid, now + CLOSED_PID_MEMORY_MS);
  }

  private onEvent(routingKey: string, headers: Record<string, unknown>): void {
    this.apply(routingKey, headers);
    if (!this.options.onEvent || this.seenBefore(routingKey, headers)) return;
    try {
      this.options.onEvent?.(routingKey, headers);
    } catch (err) {
      this.logger.warn(`authority: a broker event listener failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /**
   * Whether this very event came already through another node's stream (every stream delivers
   * every node's events). Events carry `timestamp_in_ms`, so two distinct ones are told apart.
   */
  private seenBefore(routingKey: string, headers: Record<string, unknown>): boolean {
    if (this.streams.length < 2) return false;
    const now = this.now();
    for (const [old, expiry] of this.seenEvents) {
      if (expiry > now) break;
      this.seenEvents.delete(old);
    }
    const key = `${routingKey} ${JSON.stringify(headers)}`;
    if (this.seenEvents.has(key)) return true;
    this.seenEvents.set(key, now + SEEN_EVENT_MEMORY_MS);
    return false;
  }

  private onLive(stream: EventStream): void {
    const others = this.streams.filter((other) => other !== stream && other.live).length;
    this.logger.info(`authority: following the broker event stream on ${stream.where} (connection counts${others > 0 ? `; ${others + 1} nodes followed` : ''})`);
    this.firstLive.resolve();
  }

  private onLost(stream: EventStream, reason: string): void {
    if (!this.running) return;
    if (!this.live) {
      // Whatever happens while nobody listens is unknown: start over from zero when a stream is back.
      this.lose();
      this.logger.warn(`authority: the broker event stream closed on ${stream.where} (${reason}) and no other node's runs; client connections are refused until one is back`);
      return;
    }
    const dropped = stream.node === undefined ? 0 : this.dropNode(stream.node);
    this.logger.warn(
      `authority: the broker event stream closed on ${stream.where} (${reason}); counts go on from another node's${stream.node === undefined ? '' : `, and the ${dropped} connection(s) of ${stream.node} no longer count`}`,
    );
  }

  /** Whatever happened while nobody listened is unknown: start over from zero. */
  private lose(): void {
    this.byPid.clear();
    this.closedPids.clear();
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
