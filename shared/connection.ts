import { EventEmitter } from 'node:events';
import amqp, { type AmqpConnectionManager, type ChannelWrapper, type SetupFunc } from 'amqp-connection-manager';
import type { Channel, ConfirmChannel } from 'amqplib';
import { unrecoverableBrokerFailure } from './broker-failure.js';
import { brokerUrls, redactUrl, rotateList, startingNode, type NodeOrder, type NodePick } from './broker-urls.js';
import { ERROR_CODES, WarrenError } from './errors.js';
import { coalesceSocketWrites } from './write-coalescing.js';

/**
 * A broker connection that reconnects by itself. amqp-connection-manager keeps one connect attempt
 * in flight and replays channel setup functions after every reconnect; this wrapper adds
 * exponential backoff with full jitter, gives up at once on failures a retry cannot fix (bad
 * credentials, missing vhost), and reports its status as typed events a UI can show.
 *
 * Given several URLs (every node of a cluster), it starts at the first (`nodeOrder` listed) or at
 * a random one (spread), goes on through the list in its order, round it, until one answers, and
 * when its node goes, moves to the next one at once: a full round of the list fails before the
 * backoff waits. A node that closes the connection because another node went down (541 INTERNAL_ERROR
 * while a queue leader is elected) is one more reason to move on, never a failure.
 */
export type ConnectionStatus =
  | { state: 'connecting'; attempt: number }
  /** `broker`: the URL of the node connected to, password hidden. */
  | { state: 'connected'; broker: string }
  | { state: 'disconnected'; reason: string }
  | { state: 'reconnecting'; attempt: number; delayMs: number; reason: string }
  | { state: 'failed'; error: WarrenError }
  | { state: 'closed' };

export interface BrokerConnectionOptions {
  /** One AMQP URL, or a comma-separated list of the cluster's nodes (shared/broker-urls.ts). */
  url: string;
  /** Name shown in the broker's connection list. */
  connectionName: string;
  heartbeatSeconds?: number;
  backoff?: { initialMs: number; maxMs: number };
  /**
   * Secure mode: keep retrying a 403 ACCESS_REFUSED for this long before giving up. The broker's
   * answer is the same whether this login is refused for good (a revoked client) or the authority
   * that decides is briefly away (a coordinator restarting), and a permission check refused while
   * it is away closes the channel with 403 too; and it refuses the vhost (530) while it cannot
   * count connections. Unset: a 403 or 530 is final at once.
   */
  retryRefusedForMs?: number;
  /** TCP_NODELAY on the socket (amqplib's `noDelay`); default true: Nagle's algorithm off. */
  noDelay?: boolean;
  /**
   * Where to start in a list of several URLs (WARREN_AMQP_NODE_ORDER): `listed`, the default here,
   * at the first; `spread` at one picked for this connection (`pickNode`, random unless a test
   * injects it). From there on the list is gone through in its order, round it: the connection is
   * handed the list turned to begin at that node.
   */
  nodeOrder?: NodeOrder;
  pickNode?: NodePick;
}

export const DEFAULT_BACKOFF = { initialMs: 250, maxMs: 10_000 } as const;

/** A connection that lasted this long counts as having held: its loss starts the backoff afresh. */
const STABLE_CONNECTION_MS = 2000;

export class BrokerConnection extends EventEmitter<{ status: [ConnectionStatus] }> {
  private readonly manager: AmqpConnectionManager;
  private readonly backoff: { initialMs: number; maxMs: number };
  /** Failed attempts since the last connection that held (see STABLE_CONNECTION_MS). */
  private attempt = 0;
  private connectedAtMs: number | undefined;
  private readonly urlCount: number;
  private closed = false;
  private readonly retryRefusedForMs: number | undefined;
  /** When the current run of refusals began; undefined after a successful connect. */
  private refusedSinceMs: number | undefined;
  private lastStatus: ConnectionStatus = { state: 'connecting', attempt: 1 };
  /** Index in the given list of the node this connection tries first (0 unless spread). */
  readonly startingNode: number;

  constructor(options: BrokerConnectionOptions) {
    super();
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.retryRefusedForMs = options.retryRefusedForMs;
    const heartbeat = options.heartbeatSeconds ?? 5;
    const listed = brokerUrls(options.url);
    this.startingNode = startingNode(options.nodeOrder ?? 'listed', listed.length, options.pickNode);
    // amqp-connection-manager tries its list from index 0 and, after every attempt (failed or
    // connected), the next index, back to 0 after the last: turned to begin at the starting node,
    // the list is gone round in the listed order from there, after a loss as before.
    const urls = rotateList(listed, this.startingNode);
    this.urlCount = urls.length;
    this.manager = amqp.connect(urls, {
      heartbeatIntervalInSeconds: heartbeat,
      reconnectTimeInSeconds: this.backoff.initialMs / 1000,
      // The timeout covers the AMQP handshake too: a stuck one fails and the backoff retries it,
      // instead of leaving close() waiting on it.
      connectionOptions: { timeout: 10_000, noDelay: options.noDelay ?? true, clientProperties: { connection_name: options.connectionName } },
    });
    this.manager.on('connect', ({ connection, url }) => {
      // One socket write per tick instead of one per AMQP frame.
      coalesceSocketWrites(connection);
      this.connectedAtMs = Date.now();
      this.refusedSinceMs = undefined;
      this.setStatus({ state: 'connected', broker: typeof url === 'string' ? redactUrl(url) : 'broker' });
    });
    this.manager.on('disconnect', ({ err }) => this.onFailure(err, true));
    this.manager.on('connectFailed', ({ err }) => this.onFailure(err, false));
  }

  get status(): ConnectionStatus {
    return this.lastStatus;
  }

  get isConnected(): boolean {
    return this.manager.isConnected();
  }

  createChannel(setup: SetupFunc, name: string): ChannelWrapper {
    return this.manager.createChannel({ name, setup, confirm: true, json: false });
  }

  /**
   * A bare channel on the current connection, for one-off operations that may make the broker
   * close it (a passive check of a queue that is gone); undefined while disconnected. The caller
   * closes it; it is not re-created after a reconnect.
   */
  async openThrowawayChannel(): Promise<Channel | undefined> {
    const connection = this.manager.connection;
    return connection ? connection.createChannel() : undefined;
  }

  /** A throwaway confirm channel (see `openThrowawayChannel`): for probes whose return must be seen before their confirm. */
  async openThrowawayConfirmChannel(): Promise<ConfirmChannel | undefined> {
    const connection = this.manager.connection;
    return connection ? connection.createConfirmChannel() : undefined;
  }

  /** Resolves once connected; rejects if the connection fails for good or is closed first. */
  waitForConnect(): Promise<void> {
    if (this.manager.isConnected()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onStatus = (status: ConnectionStatus): void => {
        if (status.state === 'connected') {
          this.off('status', onStatus);
          resolve();
        } else if (status.state === 'failed' || status.state === 'closed') {
          this.off('status', onStatus);
          reject(status.state === 'failed' ? status.error : new WarrenError(ERROR_CODES.CLOSED, 'connection closed'));
        }
      };
      this.on('status', onStatus);
    });
  }

  /**
   * Drops the current connection and connects again (setups replayed): for a channel the broker
   * closed while the connection stays up, which amqp-connection-manager would otherwise leave
   * without a channel until the connection itself drops. Every channel is re-created and its
   * setup replayed. A no-op while disconnected (a reconnect is already under way) or closed.
   */
  reconnect(): void {
    if (this.closed || !this.manager.isConnected()) return;
    try {
      this.manager.reconnect();
    } catch {
      /* closing already */
    }
  }

  /** Idempotent; detaches listeners first so that closing never triggers a reconnect. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.manager.removeAllListeners('disconnect');
    this.manager.removeAllListeners('connectFailed');
    this.manager.removeAllListeners('connect');
    await this.manager.close().catch(() => undefined);
    this.setStatus({ state: 'closed' });
  }

  private onFailure(err: Error | undefined, wasConnected: boolean): void {
    if (this.closed) return;
    const reason = describe(err);
    const code = this.stillFatal(unrecoverableBrokerFailure(err));
    if (code) {
      this.setStatus({ state: 'failed', error: new WarrenError(code, `broker refused the connection: ${reason}`, { cause: err }) });
      void this.close();
      return;
    }
    if (wasConnected) this.setStatus({ state: 'disconnected', reason });
    // A connection closed right after it opened (a node refusing work while a queue leader is
    // elected) does not start the count again: the backoff goes on growing instead of a tight loop.
    if (wasConnected && this.connectedAtMs !== undefined && Date.now() - this.connectedAtMs >= STABLE_CONNECTION_MS) this.attempt = 0;
    this.attempt += 1;
    // Another node of the list not tried in this round yet: try it at once (the manager moves to
    // the next URL by itself). Only after a whole round has failed does the backoff wait.
    const round = Math.ceil(this.attempt / this.urlCount);
    const untriedLeft = this.attempt % this.urlCount !== 0;
    const ceiling = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** Math.min(round - 1, 16));
    // Full jitter: spread reconnecting clients out so a restarted broker is not hit by all at once.
    const delayMs = untriedLeft ? 0 : Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
    this.manager.reconnectTimeInSeconds = delayMs / 1000;
    this.setStatus({ state: 'reconnecting', attempt: this.attempt, delayMs, reason });
  }

  /** A refusal is final unless refusals are retried and have not lasted `retryRefusedForMs` yet. */
  private stillFatal(code: ReturnType<typeof unrecoverableBrokerFailure>): ReturnType<typeof unrecoverableBrokerFailure> {
    // Both refusals the authority can give: the login (403) and the vhost (530: it refuses client
    // connections while it cannot count them, e.g. just after the broker restarted).
    if ((code !== ERROR_CODES.BROKER_ACCESS_REFUSED && code !== ERROR_CODES.BROKER_UNREACHABLE) || this.retryRefusedForMs === undefined) return code;
    const now = Date.now();
    this.refusedSinceMs ??= now;
    return now - this.refusedSinceMs >= this.retryRefusedForMs ? code : undefined;
  }

  private setStatus(status: ConnectionStatus): void {
    this.lastStatus = status;
    this.emit('status', status);
  }
}

function describe(err: Error | undefined): string {
  if (!err) return 'connection lost';
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && !err.message.includes(code) ? `${code} ${err.message}` : err.message;
}

