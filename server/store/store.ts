import type { ChatEvent } from '../../shared/index.js';

/** A session as the coordinator keeps it: who holds which name, and where to reach them. */
export interface SessionRecord {
  sessionId: string;
  token: string;
  name: string;
  nameKey: string;
  clientId: string;
  replyQueue: string;
  since: string;
}

export interface NewMessage {
  id: string;
  sessionId: string;
  clientMsgId: string;
  room: string;
  from: string;
  text: string;
  clientTs: string;
  serverTs: string;
}

export interface AppendResult {
  event: ChatEvent;
  /** True when this (session, clientMsgId) was stored before: a redelivery, not a new message. */
  duplicate: boolean;
  /** Whether the chat log already has this message's line. */
  logged: boolean;
}

/**
 * What the coordinator needs from persistence. The SQLite implementation is the default; the
 * interface keeps the coordinator free of SQL so another store can be dropped in.
 */
export interface Store {
  appendMessage(message: NewMessage): AppendResult;
  markLogged(messageId: string): void;
  /** Messages stored but never written to the chat log (left behind by a crash). */
  unloggedMessages(): ChatEvent[];
  lastSeq(room: string): number;
  /** Messages of a room in server order: after `afterSeq` if given, else the last `limit`. */
  history(room: string, query: { afterSeq?: number; limit: number }): ChatEvent[];
  messagesOfSession(sessionId: string, limit: number): ChatEvent[];
  saveSession(session: SessionRecord): void;
  deleteSession(sessionId: string): void;
  sessions(): SessionRecord[];
  close(): void;
}
