import type {
  ActivatedEvent,
  ChatEvent,
  ConnectionStatus,
  MessageRemoved,
  NodeOrder,
  MessageUpdated,
  PresenceEvent,
  PrivateStatus,
  RoomEvent,
  WarrenError,
} from '../../shared/index.js';
import type { LinkNotice } from './binding-watch.js';

/** The types of WarrenClient's public API: its options and the events it emits. */

/**
 * How the client meets the broker. `secure`: it mints a client id and secret at start and logs in
 * with them (credentials in `amqpUrl` are replaced), and accepts only deliveries whose broker-checked
 * `userId` is `coordinatorUser`. `open`: the URL's credentials are used as given (everyone is guest)
 * and nothing is checked: anyone on that broker can read and forge everything.
 */
export type ClientSecurity = { mode: 'secure'; coordinatorUser: string } | { mode: 'open' };

export interface WarrenClientOptions {
  amqpUrl: string;
  /** Required, so that choosing the insecure mode is always written down by the caller. */
  security: ClientSecurity;
  namespace: string;
  /** How long a request may wait for its answer. */
  requestTimeoutMs?: number;
  /** Open mode only: stable id of this client; names its queue. Random by default. In secure mode the id is minted. */
  clientId?: string;
  /** Delays between reconnection attempts (exponential with jitter); DEFAULT_BACKOFF otherwise. */
  reconnectBackoff?: { initialMs: number; maxMs: number };
  /**
   * Secure mode: how long the broker's refusals (403) are retried before the client gives up
   * (default 30 s). A refusal looks the same whether this client's session has ended for good or
   * the coordinator (whose authority decides) is restarting.
   */
  refusedGraceMs?: number;
  /** TCP_NODELAY on the broker socket (WARREN_AMQP_NO_DELAY); default true: Nagle's algorithm off. */
  noDelay?: boolean;
  /** Seconds between AMQP heartbeats (WARREN_AMQP_HEARTBEAT); default 5. */
  heartbeatSeconds?: number;
  /**
   * With several nodes in `amqpUrl` (WARREN_AMQP_NODE_ORDER): `spread` (default) starts at a random
   * one, so clients given the same list share the nodes out; `listed` at the first. Either way the
   * client moves on round the list, in its order, when its node goes.
   */
  nodeOrder?: NodeOrder;
}

export interface SendOptions {
  room?: string;
  /** A private message to this user. */
  to?: string;
  ttlMs?: number;
}

/** The events a WarrenClient emits, with their arguments. */
export interface ClientEvents {
  status: [ConnectionStatus];
  /** `recent` is false for the history shown on login or on joining a room (old news: no bell). */
  message: [ChatEvent, { recent: boolean }];
  messageUpdated: [MessageUpdated];
  messageRemoved: [MessageRemoved];
  roomEvent: [RoomEvent];
  presence: [PresenceEvent];
  /** The chat reached its MIN_USERS threshold; the backlog follows as 'message' events. */
  activated: [ActivatedEvent];
  /** A message was accepted but is held until the chat activates. */
  held: [{ clientMsgId: string; room: string }];
  /** Whether a private message reached its recipient now or was stored for later. */
  privateStatus: [PrivateStatus];
  /** The coordinator no longer knows our session (timed out while we were away, or it was reset). */
  sessionLost: [WarrenError];
  /** Our queue or its bindings were lost, or restored (client/lib/binding-watch.ts). */
  link: [LinkNotice];
  /**
   * Something arrived that does not follow the protocol, or (code UNTRUSTED_SENDER, secure mode)
   * was not published by the coordinator; it was ignored.
   */
  protocolError: [WarrenError];
}
