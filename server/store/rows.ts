import type { ChatEvent, Role, RoomKind } from '../../shared/index.js';
import type { MemberRecord, RoomRecord } from './store.js';

/** The tables' rows as better-sqlite3 returns them, and their mapping to the store's records. */
export interface MessageRow {
  num: number;
  id: string;
  room: string;
  seq: number;
  session_id: string;
  sender_key: string;
  client_msg_id: string;
  sender: string;
  recipient: string | null;
  text: string;
  client_ts: string;
  server_ts: string;
  edited_at: string | null;
  expires_at: string | null;
  logged: number;
}

export interface RoomRow {
  name: string;
  kind: RoomKind;
  created_by: string | null;
  created_at: string;
  ttl_ms: number | null;
  last_seq: number;
}

export interface MemberRow {
  room: string;
  name_key: string;
  name: string;
  role: Role;
}

export const toEvent = (row: MessageRow): ChatEvent => ({
  type: 'message',
  room: row.room,
  seq: row.seq,
  id: row.id,
  num: row.num,
  clientMsgId: row.client_msg_id,
  from: row.sender,
  text: row.text,
  clientTs: row.client_ts,
  serverTs: row.server_ts,
  ...(row.recipient === null ? {} : { to: row.recipient }),
  ...(row.edited_at === null ? {} : { editedAt: row.edited_at }),
  ...(row.expires_at === null ? {} : { expiresAt: row.expires_at }),
});

export const toRoom = (row: RoomRow): RoomRecord => ({
  name: row.name,
  kind: row.kind,
  createdBy: row.created_by,
  createdAt: row.created_at,
  ttlMs: row.ttl_ms,
  lastSeq: row.last_seq,
});

export const toMember = (row: MemberRow): MemberRecord => ({ room: row.room, nameKey: row.name_key, name: row.name, role: row.role });
