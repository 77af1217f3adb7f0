import type { ErrorCode, PresenceEvent, ServerMessage } from '../shared/index.js';
import type { LogEntry } from './log/chat-log.js';

/**
 * What handling one input produced. Handlers decide; the coordinator carries it out in a fixed
 * order: log lines, then `afterLog`, then publishes (waiting for broker confirms), then the ack.
 */
export interface Outcome {
  log: LogEntry[];
  afterLog?: () => void;
  events: { routingKey: string; body: ServerMessage }[];
  /** Sent straight to one client's queue: replies, and room traffic for secret rooms and private chats. */
  replies: { queue: string; body: ServerMessage }[];
  /** Set when the input is refused for being broken or forged: it is copied to the dead-letter queue. */
  deadLetter?: { code: ErrorCode; reason: string };
  /** Set when the input is refused (handlers/refusal.ts), with the code its sender is told: for the metrics. */
  refused?: ErrorCode;
  /**
   * Client ids whose session ended here (logout, /exit, timeout). Secure mode: revoked at the
   * broker before anything is published, their connections closed once the replies are confirmed.
   */
  ended?: string[];
}

export function emptyOutcome(): Outcome {
  return { log: [], events: [], replies: [] };
}

export function presence(
  event: PresenceEvent['event'],
  name: string,
  serverTs: string,
  online: number,
  reason?: PresenceEvent['reason'],
): PresenceEvent {
  return reason === undefined
    ? { type: 'presence', event, name, serverTs, online }
    : { type: 'presence', event, name, reason, serverTs, online };
}
