import type { SqlDatabase } from './sql/sql-database.js';
import { DIALECTS } from './sql/dialect.js';
import { DEFAULT_ROOM, isDirectRoom, type Role, type RoomKind } from '../../shared/index.js';

/**
 * What ending a guest's session leaves behind, so the next holder of the name inherits none of it.
 * Everything tied to a name is keyed by its nameKey: memberships and roles (members), private
 * conversations (rooms `dm:a:b`, named after both keys, with their messages and each side's
 * delivered mark), and the sender key of every message (which grants /edit and /delete). /mymsgs
 * is keyed by the session id already, which a new holder never has.
 */
export interface ForgottenGuest {
  /** Rooms (not private chats) the name was a member of. */
  leftRooms: string[];
  /** Who became admin because the guest was the last admin of a room that still has members. */
  promoted: { room: string; nameKey: string; name: string }[];
  /** Secret rooms the guest was the last member of, deleted with their messages (nobody could reach them again). */
  deletedRooms: string[];
  /** Private chats kept for the other person under a name no one can log in as (`dm:alice~1:bob`). */
  archivedDirect: { from: string; to: string; keptFor: string[] }[];
  /** Private chats nobody else was left in, deleted with their messages. */
  deletedDirect: string[];
  /** Messages whose sender key was replaced by `~<session id>`, so no later holder can edit or delete them. */
  detachedMessages: number;
}

interface MembershipRow {
  room: string;
  role: Role;
  kind: RoomKind | null;
}

/** Marks a sender key that belongs to no name: `~` cannot appear in a name (shared/names.ts). */
export const DETACHED_PREFIX = '~';

export function prepareGuestForget(db: SqlDatabase): (nameKey: string) => ForgottenGuest {
  const sql = {
    memberships: db.prepare<[string], MembershipRow>(
      'SELECT m.room, m.role, r.kind FROM members m LEFT JOIN rooms r ON r.name = m.room WHERE m.name_key = ? ORDER BY m.room',
    ),
    removeMember: db.prepare<[string, string]>('DELETE FROM members WHERE room = ? AND name_key = ?'),
    others: db.prepare<[string], { name_key: string; name: string; role: Role }>(`SELECT name_key, name, role FROM members WHERE room = ? ORDER BY ${DIALECTS[db.dialect].membersOrder}`),
    promote: db.prepare<[string, string]>("UPDATE members SET role = 'admin' WHERE room = ? AND name_key = ?"),
    deleteMessages: db.prepare<[string]>('DELETE FROM messages WHERE room = ?'),
    deleteMembers: db.prepare<[string]>('DELETE FROM members WHERE room = ?'),
    deleteRoom: db.prepare<[string]>('DELETE FROM rooms WHERE name = ?'),
    roomExists: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM rooms WHERE name = ?'),
    copyRoom: db.prepare<[string, string]>(
      'INSERT INTO rooms (name, kind, created_by, created_at, ttl_ms, last_seq) SELECT ?, kind, created_by, created_at, ttl_ms, last_seq FROM rooms WHERE name = ?',
    ),
    moveMessages: db.prepare<[string, string]>('UPDATE messages SET room = ? WHERE room = ?'),
    moveMembers: db.prepare<[string, string]>('UPDATE members SET room = ? WHERE room = ?'),
    detach: db.prepare<[string, string]>('UPDATE messages SET sender_key = CAST(? AS TEXT) || session_id WHERE sender_key = ?'),
  };

  /** A name for the archived chat that no pair of names produces (`~` is not allowed in names). */
  const archiveName = (room: string, key: string): string => {
    const parts = room.split(':');
    for (let n = 1; ; n += 1) {
      const marked = parts.map((part, index) => (index > 0 && part === key ? `${part}${DETACHED_PREFIX}${n}` : part)).join(':');
      const name = marked === room ? `${room}${DETACHED_PREFIX}${n}` : marked;
      if (!sql.roomExists.get(name)) return name;
    }
  };

  return (key: string): ForgottenGuest => {
    const result: ForgottenGuest = { leftRooms: [], promoted: [], deletedRooms: [], archivedDirect: [], deletedDirect: [], detachedMessages: 0 };
    for (const membership of sql.memberships.all(key)) {
      const { room } = membership;
      sql.removeMember.run(room, key);
      const others = sql.others.all(room);
      if (isDirectRoom(room)) {
        if (others.length === 0) {
          deleteRoom(room);
          result.deletedDirect.push(room);
          continue;
        }
        // The other person keeps the conversation under the archived name. The old name's row
        // stays, empty, with its last_seq: a new chat between the same two names goes on
        // numbering after it, so the other person's client does not take new lines for repeats.
        const archived = archiveName(room, key);
        sql.copyRoom.run(archived, room);
        sql.moveMessages.run(archived, room);
        sql.moveMembers.run(archived, room);
        result.archivedDirect.push({ from: room, to: archived, keptFor: others.map((other) => other.name_key) });
        continue;
      }
      if (room === DEFAULT_ROOM) continue;
      result.leftRooms.push(room);
      if (others.length === 0) {
        if (membership.kind === 'secret') {
          deleteRoom(room);
          result.deletedRooms.push(room);
        }
        continue;
      }
      // A room keeps an admin: the member who joined first takes over (members keep insertion order: rowid, or a column on PostgreSQL).
      const first = others[0];
      if (membership.role === 'admin' && first && !others.some((other) => other.role === 'admin')) {
        sql.promote.run(room, first.name_key);
        result.promoted.push({ room, nameKey: first.name_key, name: first.name });
      }
    }
    result.detachedMessages = sql.detach.run(DETACHED_PREFIX, key).changes;
    return result;
  };

  function deleteRoom(room: string): void {
    sql.deleteMessages.run(room);
    sql.deleteMembers.run(room);
    sql.deleteRoom.run(room);
  }
}
