import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { ChatEvent } from '../../shared/index.js';
import type { AppendResult, NewMessage, SessionRecord, Store } from './store.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS messages (
  id            TEXT PRIMARY KEY,
  room          TEXT NOT NULL,
  seq           INTEGER NOT NULL,
  session_id    TEXT NOT NULL,
  client_msg_id TEXT NOT NULL,
  sender        TEXT NOT NULL,
  text          TEXT NOT NULL,
  client_ts     TEXT NOT NULL,
  server_ts     TEXT NOT NULL,
  logged        INTEGER NOT NULL DEFAULT 0,
  UNIQUE (room, seq),
  UNIQUE (session_id, client_msg_id)
);
CREATE INDEX IF NOT EXISTS messages_by_session ON messages (session_id, seq);
CREATE INDEX IF NOT EXISTS messages_unlogged ON messages (logged) WHERE logged = 0;
CREATE TABLE IF NOT EXISTS sessions (
  session_id  TEXT PRIMARY KEY,
  token       TEXT NOT NULL UNIQUE,
  name        TEXT NOT NULL,
  name_key    TEXT NOT NULL UNIQUE,
  client_id   TEXT NOT NULL,
  reply_queue TEXT NOT NULL,
  since       TEXT NOT NULL
);
`;

interface MessageRow {
  id: string;
  room: string;
  seq: number;
  client_msg_id: string;
  sender: string;
  text: string;
  client_ts: string;
  server_ts: string;
  logged: number;
}

interface SessionRow {
  session_id: string;
  token: string;
  name: string;
  name_key: string;
  client_id: string;
  reply_queue: string;
  since: string;
}

const toEvent = (row: MessageRow): ChatEvent => ({
  type: 'message',
  room: row.room,
  seq: row.seq,
  id: row.id,
  clientMsgId: row.client_msg_id,
  from: row.sender,
  text: row.text,
  clientTs: row.client_ts,
  serverTs: row.server_ts,
});

/** SQLite in WAL mode: a commit survives the coordinator being killed at any instant. */
export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly statements;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.db = new Database(join(dataDir, 'warren.db'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    const db = this.db;
    this.statements = {
      findByClientId: db.prepare<[string, string], MessageRow>(
        'SELECT * FROM messages WHERE session_id = ? AND client_msg_id = ?',
      ),
      lastSeq: db.prepare<[string], { seq: number | null }>('SELECT MAX(seq) AS seq FROM messages WHERE room = ?'),
      insert: db.prepare(
        `INSERT INTO messages (id, room, seq, session_id, client_msg_id, sender, text, client_ts, server_ts)
         VALUES (@id, @room, @seq, @sessionId, @clientMsgId, @from, @text, @clientTs, @serverTs)`,
      ),
      markLogged: db.prepare<[string]>('UPDATE messages SET logged = 1 WHERE id = ?'),
      unlogged: db.prepare<[], MessageRow>('SELECT * FROM messages WHERE logged = 0 ORDER BY server_ts, seq'),
      after: db.prepare<[string, number, number], MessageRow>(
        'SELECT * FROM messages WHERE room = ? AND seq > ? ORDER BY seq LIMIT ?',
      ),
      latest: db.prepare<[string, number], MessageRow>(
        'SELECT * FROM (SELECT * FROM messages WHERE room = ? ORDER BY seq DESC LIMIT ?) ORDER BY seq',
      ),
      ofSession: db.prepare<[string, number], MessageRow>(
        'SELECT * FROM (SELECT * FROM messages WHERE session_id = ? ORDER BY server_ts DESC, seq DESC LIMIT ?) ORDER BY server_ts, seq',
      ),
      saveSession: db.prepare(
        `INSERT OR REPLACE INTO sessions (session_id, token, name, name_key, client_id, reply_queue, since)
         VALUES (@sessionId, @token, @name, @nameKey, @clientId, @replyQueue, @since)`,
      ),
      deleteSession: db.prepare<[string]>('DELETE FROM sessions WHERE session_id = ?'),
      sessions: db.prepare<[], SessionRow>('SELECT * FROM sessions ORDER BY since'),
    };
  }

  appendMessage(message: NewMessage): AppendResult {
    return this.db.transaction((): AppendResult => {
      const existing = this.statements.findByClientId.get(message.sessionId, message.clientMsgId);
      if (existing) return { event: toEvent(existing), duplicate: true, logged: existing.logged === 1 };
      const seq = this.lastSeq(message.room) + 1;
      this.statements.insert.run({ ...message, seq });
      return { event: { type: 'message', seq, ...message }, duplicate: false, logged: false };
    }).immediate();
  }

  markLogged(messageId: string): void {
    this.statements.markLogged.run(messageId);
  }

  unloggedMessages(): ChatEvent[] {
    return this.statements.unlogged.all().map(toEvent);
  }

  lastSeq(room: string): number {
    return this.statements.lastSeq.get(room)?.seq ?? 0;
  }

  history(room: string, query: { afterSeq?: number; limit: number }): ChatEvent[] {
    const rows =
      query.afterSeq === undefined
        ? this.statements.latest.all(room, query.limit)
        : this.statements.after.all(room, query.afterSeq, query.limit);
    return rows.map(toEvent);
  }

  messagesOfSession(sessionId: string, limit: number): ChatEvent[] {
    return this.statements.ofSession.all(sessionId, limit).map(toEvent);
  }

  saveSession(session: SessionRecord): void {
    this.statements.saveSession.run(session);
  }

  deleteSession(sessionId: string): void {
    this.statements.deleteSession.run(sessionId);
  }

  sessions(): SessionRecord[] {
    return this.statements.sessions.all().map((row) => ({
      sessionId: row.session_id,
      token: row.token,
      name: row.name,
      nameKey: row.name_key,
      clientId: row.client_id,
      replyQueue: row.reply_queue,
      since: row.since,
    }));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
