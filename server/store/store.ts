import type { ChatEvent, Role, RoomKind } from '../../shared/index.js';
import type { ForgottenGuest } from './guest-forget.js';
import type { SessionTable } from './session-table.js';

export type { LiveSession, SessionClaim, SessionRecord } from './session-table.js';

export interface NewMessage {
  id: string;
  sessionId: string;
  clientMsgId: string;
  room: string;
  from: string;
  text: string;
  clientTs: string;
  serverTs: string;
  to?: string;
  expiresAt?: string;
  /** nameKey(from), when the caller has it already (the sender's session); else the store works it out. */
  senderKey?: string;
}

export interface AppendResult {
  event: ChatEvent;
  /** True when this (session, clientMsgId) was stored before: a redelivery, not a new message. */
  duplicate: boolean;
  /** Whether the chat log already has this message's line. */
  logged: boolean;
}

export interface StoredMessage extends ChatEvent {
  sessionId: string;
  senderKey: string;
}

export interface RoomRecord {
  name: string;
  kind: RoomKind;
  createdBy: string | null;
  createdAt: string;
  ttlMs: number | null;
  lastSeq: number;
}

export interface MemberRecord {
  room: string;
  nameKey: string;
  name: string;
  role: Role;
}

/**
 * What the coordinator needs from persistence. The SQLite implementation is the default; the
 * interface keeps the coordinator free of SQL so another store can be dropped in.
 */
export interface Store {
  // Messages
  appendMessage(message: NewMessage): AppendResult;
  /** May be deferred to a later transaction: recovery finds lines already in the log by id. */
  markLogged(num: number): void;
  /** Messages stored but never written to the chat log (left behind by a crash). */
  unloggedMessages(): ChatEvent[];
  lastSeq(room: string): number;
  /** Messages of a room in server order: after `afterSeq` if given, else the last `limit`. */
  history(room: string, query: { afterSeq?: number; limit: number }): ChatEvent[];
  messagesOfSession(sessionId: string, limit: number): ChatEvent[];
  /** Messages sent under a name key, across sessions (an account's /mymsgs; a forgotten guest's are detached from it). */
  messagesOfSender(senderKey: string, limit: number): ChatEvent[];
  message(num: number): StoredMessage | undefined;
  editMessage(num: number, text: string, editedAt: string): void;
  removeMessage(num: number): void;
  /** Messages with a time-to-live, soonest first. */
  expiringMessages(): { num: number; room: string; expiresAt: string }[];
  // Rooms and members
  createRoom(room: Omit<RoomRecord, 'lastSeq'>): void;
  room(name: string): RoomRecord | undefined;
  rooms(): RoomRecord[];
  setRoomTtl(name: string, ttlMs: number | null): void;
  addMember(member: MemberRecord): void;
  removeMember(room: string, nameKey: string): void;
  setRole(room: string, nameKey: string, role: Role): void;
  member(room: string, nameKey: string): MemberRecord | undefined;
  members(room: string): MemberRecord[];
  roomsOf(nameKey: string): MemberRecord[];
  /** Private messages to this name that were never delivered to an online session. */
  undeliveredPrivate(nameKey: string): ChatEvent[];
  markDelivered(room: string, nameKey: string, seq: number): void;
  /**
   * Ends what a guest name holds (guest-forget.ts): memberships and roles, private chats (kept for
   * the other person under an archived name), and the right to edit or delete its messages. Call
   * it in the batch that ends the guest's session.
   */
  forgetGuest(nameKey: string): ForgottenGuest;
  // Sessions: who holds which name (session-table.ts; the registry is its only user)
  readonly sessionTable: SessionTable;
  // Settings that must survive a restart (the activation of the chat)
  getFlag(key: string): string | undefined;
  setFlag(key: string, value: string): void;
  /** Runs `fn` as one transaction (nested ones become savepoints): its writes commit together. */
  batch<T>(fn: () => T): T;
  close(): void;
}
