import type {
  ActivatedEvent,
  ChatEvent,
  ConnectionStatus,
  MessageRemoved,
  MessageUpdated,
  PresenceEvent,
  PrivateStatus,
  RoomEvent,
  WarrenError,
} from '../../shared/index.js';
import type { LinkNotice } from './binding-watch.js';

/** The types of WarrenClient's public API: its options and the events it emits. */

export interface WarrenClientOptions {
  amqpUrl: string;
  namespace: string;
  /** How long a request may wait for its answer. */
  requestTimeoutMs?: number;
  /** Stable id of this client; names its queue. Random by default. */
  clientId?: string;
  /** Delays between reconnection attempts (exponential with jitter); DEFAULT_BACKOFF otherwise. */
  reconnectBackoff?: { initialMs: number; maxMs: number };
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
  /** Something arrived that does not follow the protocol; it was ignored. */
  protocolError: [WarrenError];
}
