import { DEFAULT_ROOM, nameKey, type ChatEvent, type Role } from '../../shared/index.js';
import { prepareGuestForget, type ForgottenGuest } from './guest-forget.js';
import { toEvent, toMember, toRoom, type MemberRow, type MessageRow, type RoomRow } from './rows.js';
import { LoggedMarks } from './logged-marks.js';
import { applySchema } from './schema.js';
import { prepareSessionTable, type SessionTable } from './session-table.js';
import { DIALECTS } from './sql/dialect.js';
import type { SqlDatabase, SqlTransaction } from './sql/sql-database.js';
import type { AppendResult, MemberRecord, NewMessage, RoomRecord, Store, StoredMessage } from './store.js';

/** The INSERT's parameters, in its column order. */
type InsertParams = [string, string, number, string, string, string, string, string | null, string, string, string, string | null];

/** A room's counter inside one batch: the value the batch's first message wrote, and the last one it gave out. */
interface BatchSeq {
  written: number;
  last: number;
}

/**
 * The store on the SQL port (sql/sql-database.ts): SQLite in WAL mode by default, or PostgreSQL,
 * the same statements on both (open-store.ts picks the engine). It owns the database and closes it.
 */
export class SqlStore implements Store {
  private readonly sql;
  // Built once: db.transaction() compiles wrapper functions on every call.
  private readonly appendTx: SqlTransaction<(message: NewMessage) => AppendResult>;
  private readonly guardedInsert: SqlTransaction<(message: NewMessage) => AppendResult> | undefined;
  private readonly batchTx: SqlTransaction<(fn: () => unknown) => unknown>;
  private readonly forgetGuestTx: SqlTransaction<(nameKey: string) => ForgottenGuest>;
  readonly sessionTable: SessionTable;
  private readonly marks: LoggedMarks;
  /**
   * Inside a batch: the rooms whose counter it moved. Only a room's first message of the batch
   * moves `rooms.last_seq` (which locks the row: the batch holds SQLite's write lock, and on
   * PostgreSQL the row's lock, until it commits); the others are numbered here, and the counter is
   * written once before the commit (writeBatchSeqs). Undefined outside a batch.
   */
  private batchSeqs: Map<string, BatchSeq> | undefined;
  /**
   * Inside a batch: rooms read in it, so that each message does not read its room again. Rooms
   * change only by this store's own writes, which drop them here (on SQLite the batch holds the
   * write lock; on PostgreSQL the batch reads a room as it was when first read in the batch).
   */
  private batchRooms: Map<string, RoomRecord> | undefined;

  constructor(private readonly db: SqlDatabase) {
    applySchema(db);
    this.marks = new LoggedMarks(db);
    this.sql = {
      findByClientId: db.prepare<[string, string], MessageRow>('SELECT * FROM messages WHERE session_id = ? AND client_msg_id = ?'),
      nextSeq: db.prepare<[string], { last_seq: number }>('UPDATE rooms SET last_seq = last_seq + 1 WHERE name = ? RETURNING last_seq'),
      previousSeq: db.prepare<[string]>('UPDATE rooms SET last_seq = last_seq - 1 WHERE name = ?'),
      // Positional: no object built per message. SQLite tells the new num by lastInsertRowid (a
      // RETURNING costs it a result table per statement); PostgreSQL returns it.
      insert: db.prepare<InsertParams, { num: number }>(
        `INSERT INTO messages (id, room, seq, session_id, sender_key, client_msg_id, sender, recipient, text, client_ts, server_ts, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (session_id, client_msg_id) DO NOTHING${db.dialect === 'sqlite' ? '' : ' RETURNING num'}`,
      ),
      setSeq: db.prepare<[number, string]>('UPDATE rooms SET last_seq = ? WHERE name = ?'),
      unlogged: db.prepare<[], MessageRow>('SELECT * FROM messages WHERE logged = 0 ORDER BY num'),
      after: db.prepare<[string, number, number], MessageRow>('SELECT * FROM messages WHERE room = ? AND seq > ? ORDER BY seq LIMIT ?'),
      latest: db.prepare<[string, number], MessageRow>(
        'SELECT * FROM (SELECT * FROM messages WHERE room = ? ORDER BY seq DESC LIMIT ?) AS recent ORDER BY seq',
      ),
      ofSession: db.prepare<[string, number], MessageRow>(
        'SELECT * FROM (SELECT * FROM messages WHERE session_id = ? ORDER BY num DESC LIMIT ?) AS recent ORDER BY num',
      ),
      ofSender: db.prepare<[string, number], MessageRow>(
        'SELECT * FROM (SELECT * FROM messages WHERE sender_key = ? ORDER BY num DESC LIMIT ?) AS recent ORDER BY num',
      ),
      byNum: db.prepare<[number], MessageRow>('SELECT * FROM messages WHERE num = ?'),
      edit: db.prepare<[string, string, number]>('UPDATE messages SET text = ?, edited_at = ? WHERE num = ?'),
      remove: db.prepare<[number]>('DELETE FROM messages WHERE num = ?'),
      expiring: db.prepare<[], { num: number; room: string; expires_at: string }>(
        'SELECT num, room, expires_at FROM messages WHERE expires_at IS NOT NULL ORDER BY expires_at',
      ),
      createRoom: db.prepare(
        `INSERT INTO rooms (name, kind, created_by, created_at, ttl_ms) VALUES (@name, @kind, @createdBy, @createdAt, @ttlMs)
         ON CONFLICT (name) DO NOTHING`,
      ),
      room: db.prepare<[string], RoomRow>('SELECT * FROM rooms WHERE name = ?'),
      rooms: db.prepare<[], RoomRow>('SELECT * FROM rooms ORDER BY name'),
      setTtl: db.prepare<[number | null, string]>('UPDATE rooms SET ttl_ms = ? WHERE name = ?'),
      addMember: db.prepare(
        `INSERT INTO members (room, name_key, name, role) VALUES (@room, @nameKey, @name, @role)
         ON CONFLICT (room, name_key) DO UPDATE SET name = excluded.name`,
      ),
      removeMember: db.prepare<[string, string]>('DELETE FROM members WHERE room = ? AND name_key = ?'),
      setRole: db.prepare<[string, string, string]>('UPDATE members SET role = ? WHERE room = ? AND name_key = ?'),
      member: db.prepare<[string, string], MemberRow>('SELECT * FROM members WHERE room = ? AND name_key = ?'),
      members: db.prepare<[string], MemberRow>('SELECT * FROM members WHERE room = ? ORDER BY name'),
      roomsOf: db.prepare<[string], MemberRow>('SELECT * FROM members WHERE name_key = ? ORDER BY room'),
      undelivered: db.prepare<[string], MessageRow>(
        `SELECT m.* FROM messages m JOIN members b ON b.room = m.room AND b.name_key = ?
         WHERE m.room LIKE 'dm:%' AND m.seq > b.delivered_seq AND m.sender_key != b.name_key ORDER BY m.num`,
      ),
      // Only ever forward (the largest seq wins), and a seq of 0 or less changes nothing: delivered_seq starts at 0.
      markDelivered: db.prepare<[Record<string, unknown>]>(
        'UPDATE members SET delivered_seq = @seq WHERE room = @room AND name_key = @nameKey AND delivered_seq < @seq',
      ),
      getFlag: db.prepare<[string], { value: string }>('SELECT value FROM flags WHERE key = ?'),
      setFlag: db.prepare<[string, string]>('INSERT INTO flags (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    };
    this.appendTx = db.transaction((message: NewMessage) => this.insertMessage(message));
    // PostgreSQL: a failed insert aborts the whole transaction, so inside a batch it gets a savepoint.
    this.guardedInsert = DIALECTS[db.dialect].failedStatementAbortsTransaction ? this.appendTx : undefined;
    // Marks left from earlier turns ride along in the next batch instead of a commit of their own.
    this.batchTx = db.transaction((fn: () => unknown) => {
      this.marks.write();
      const outer = this.batchSeqs;
      if (outer) {
        // A batch inside a batch (a savepoint): if it rolls back, so do the numbers it gave out.
        const saved = new Map([...outer].map(([room, seq]) => [room, { ...seq }]));
        try {
          return fn();
        } catch (err) {
          this.batchSeqs = saved;
          this.batchRooms?.clear();
          throw err;
        }
      }
      this.batchSeqs = new Map();
      this.batchRooms = new Map();
      try {
        const result = fn();
        this.writeBatchSeqs();
        return result;
      } finally {
        this.batchSeqs = undefined;
        this.batchRooms = undefined;
      }
    });
    this.forgetGuestTx = db.transaction(prepareGuestForget(db));
    this.sessionTable = prepareSessionTable(db);
    this.createRoom({ name: DEFAULT_ROOM, kind: 'public', createdBy: null, createdAt: new Date(0).toISOString(), ttlMs: null });
  }

  /** The open database, for the stores of one concern each that share it (accounts, identities). */
  get database(): SqlDatabase {
    return this.db;
  }

  /**
   * Inside a batch the message is written in the batch's transaction, without a savepoint of its
   * own on SQLite (a savepoint per message cost a quarter of the store's time): a failed insert
   * gives its sequence number back itself (insertMessage). On PostgreSQL a failed statement aborts
   * the transaction, so there the message has its savepoint, whose rollback gives the number back.
   */
  appendMessage(message: NewMessage): AppendResult {
    if (!this.db.inTransaction) return this.appendTx.immediate(message);
    return this.guardedInsert ? this.guardedInsert(message) : this.insertMessage(message);
  }

  batch<T>(fn: () => T): T {
    const marks = this.marks.waiting();
    try {
      return this.batchTx.immediate(fn) as T;
    } catch (err) {
      // Rolled back: the marks written in it are undone too, so they wait for the next transaction.
      for (const num of marks) this.marks.add(num);
      throw err;
    }
  }

  /**
   * One INSERT on the common path: the duplicate check is the unique (session_id, client_msg_id)
   * index itself (ON CONFLICT DO NOTHING), and only a redelivery, which inserts nothing, reads the
   * stored row. The room's counter moves first and is given back when nothing was inserted.
   */
  private insertMessage(message: NewMessage): AppendResult {
    // Inside a batch, a room's counter moves in the database once (its first message); the
    // others take the next number here and give nothing back when they insert nothing.
    const counted = this.batchSeqs?.get(message.room);
    if (counted) return this.insertNumbered(message, counted.last + 1, () => (counted.last += 1));
    // The room exists already: the handlers check or create it (private rooms) before they append.
    const seq = this.sql.nextSeq.get(message.room)?.last_seq;
    if (seq === undefined) throw new Error(`no room ${message.room}`);
    return this.insertNumbered(
      message,
      seq,
      () => this.batchSeqs?.set(message.room, { written: seq, last: seq }),
      () => this.sql.previousSeq.run(message.room),
    );
  }

  /**
   * The INSERT with the number `seq`: `taken` when the row went in, `giveBack` (a number that
   * moved the room's counter in the database) when it did not.
   */
  private insertNumbered(message: NewMessage, seq: number, taken: () => void, giveBack?: () => void): AppendResult {
    let row: { num: number } | undefined;
    try {
      const params: InsertParams = [
        message.id,
        message.room,
        seq,
        message.sessionId,
        message.senderKey ?? nameKey(message.from),
        message.clientMsgId,
        message.from,
        message.to ?? null,
        message.text,
        message.clientTs,
        message.serverTs,
        message.expiresAt ?? null,
      ];
      if (this.db.dialect === 'sqlite') {
        const result = this.sql.insert.run(...params);
        row = result.changes === 0 ? undefined : { num: Number(result.lastInsertRowid) };
      } else row = this.sql.insert.get(...params);
    } catch (err) {
      // No savepoint inside a batch (SQLite): the counter is given back by hand, so a failed insert
      // leaves no gap. PostgreSQL's transaction or savepoint is aborted and rolls the counter back.
      if (!this.guardedInsert) giveBack?.();
      throw err;
    }
    if (!row) {
      giveBack?.();
      const existing = this.sql.findByClientId.get(message.sessionId, message.clientMsgId);
      if (!existing) throw new Error('insert returned no row and there is no earlier copy');
      return { event: toEvent(existing), duplicate: true, logged: existing.logged === 1 || this.marks.has(existing.num) };
    }
    taken();
    const event: ChatEvent = {
      type: 'message',
      room: message.room,
      seq,
      id: message.id,
      num: row.num,
      clientMsgId: message.clientMsgId,
      from: message.from,
      text: message.text,
      clientTs: message.clientTs,
      serverTs: message.serverTs,
      ...(message.to === undefined ? {} : { to: message.to }),
      ...(message.expiresAt === undefined ? {} : { expiresAt: message.expiresAt }),
    };
    return { event, duplicate: false, logged: false };
  }

  /** Deferred (logged-marks.ts): written with the next batch, or after a moment when none comes. */
  markLogged(num: number): void {
    this.marks.add(num);
  }

  /** Inside a batch: each room's counter, where the batch numbered messages past what its first one wrote. */
  private writeBatchSeqs(): void {
    for (const [room, seq] of this.batchSeqs ?? []) {
      if (seq.last === seq.written) continue;
      // Written again before the commit even when written earlier (rooms(), forgetGuest): a savepoint
      // that rolls back after such a write must not leave the row behind the batch's numbers.
      this.sql.setSeq.run(seq.last, room);
    }
  }

  unloggedMessages(): ChatEvent[] {
    this.marks.flush();
    return this.sql.unlogged.all().map(toEvent);
  }

  lastSeq(room: string): number {
    return this.room(room)?.lastSeq ?? 0;
  }

  history(room: string, query: { afterSeq?: number; limit: number }): ChatEvent[] {
    const rows =
      query.afterSeq === undefined ? this.sql.latest.all(room, query.limit) : this.sql.after.all(room, query.afterSeq, query.limit);
    return rows.map(toEvent);
  }

  messagesOfSession(sessionId: string, limit: number): ChatEvent[] {
    return this.sql.ofSession.all(sessionId, limit).map(toEvent);
  }

  messagesOfSender(senderKey: string, limit: number): ChatEvent[] {
    return this.sql.ofSender.all(senderKey, limit).map(toEvent);
  }

  message(num: number): StoredMessage | undefined {
    const row = this.sql.byNum.get(num);
    return row ? { ...toEvent(row), sessionId: row.session_id, senderKey: row.sender_key } : undefined;
  }

  editMessage(num: number, text: string, editedAt: string): void {
    this.sql.edit.run(text, editedAt, num);
  }

  removeMessage(num: number): void {
    this.sql.remove.run(num);
  }

  expiringMessages(): { num: number; room: string; expiresAt: string }[] {
    return this.sql.expiring.all().map((row) => ({ num: row.num, room: row.room, expiresAt: row.expires_at }));
  }

  createRoom(room: Omit<RoomRecord, 'lastSeq'>): void {
    this.batchRooms?.delete(room.name);
    this.sql.createRoom.run(room);
  }

  room(name: string): RoomRecord | undefined {
    let room = this.batchRooms?.get(name);
    if (room) room = { ...room };
    else {
      const row = this.sql.room.get(name);
      if (!row) return undefined;
      room = toRoom(row);
      this.batchRooms?.set(name, { ...room });
    }
    // The batch's numbers not yet written to the row.
    const counted = this.batchSeqs?.get(name);
    if (counted) room.lastSeq = counted.last;
    return room;
  }

  rooms(): RoomRecord[] {
    this.writeBatchSeqs();
    return this.sql.rooms.all().map(toRoom);
  }

  setRoomTtl(name: string, ttlMs: number | null): void {
    this.batchRooms?.delete(name);
    this.sql.setTtl.run(ttlMs, name);
  }

  addMember(member: MemberRecord): void {
    this.sql.addMember.run(member);
  }

  removeMember(room: string, key: string): void {
    this.sql.removeMember.run(room, key);
  }

  setRole(room: string, key: string, role: Role): void {
    this.sql.setRole.run(role, room, key);
  }

  member(room: string, key: string): MemberRecord | undefined {
    const row = this.sql.member.get(room, key);
    return row ? toMember(row) : undefined;
  }

  members(room: string): MemberRecord[] {
    return this.sql.members.all(room).map(toMember);
  }

  roomsOf(key: string): MemberRecord[] {
    return this.sql.roomsOf.all(key).map(toMember);
  }

  undeliveredPrivate(key: string): ChatEvent[] {
    return this.sql.undelivered.all(key).map(toEvent);
  }

  markDelivered(room: string, key: string, seq: number): void {
    this.sql.markDelivered.run({ seq, room, nameKey: key });
  }

  forgetGuest(key: string): ForgottenGuest {
    // It copies and deletes rooms by SQL of its own: the rows must hold the batch's numbers first.
    this.writeBatchSeqs();
    try {
      return this.forgetGuestTx.immediate(key);
    } finally {
      this.batchRooms?.clear();
    }
  }

  getFlag(key: string): string | undefined {
    return this.sql.getFlag.get(key)?.value;
  }

  setFlag(key: string, value: string): void {
    this.sql.setFlag.run(key, value);
  }

  close(): void {
    if (this.db.open) this.marks.flush();
    this.db.close();
  }
}
