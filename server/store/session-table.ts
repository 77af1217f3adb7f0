import type { SqlDatabase } from './sql/sql-database.js';

/** A session as the coordinator keeps it: who holds which name, and where to reach them. */
export interface SessionRecord {
  sessionId: string;
  token: string;
  name: string;
  nameKey: string;
  clientId: string;
  replyQueue: string;
  since: string;
  /** The wire protocol the client said it speaks at login (1 when it said nothing). */
  protocol: number;
}

/** A session with its last sign of life (milliseconds since the epoch), as the store keeps it. */
export interface LiveSession extends SessionRecord {
  lastSeenMs: number;
}

/** A new session with the look-alike keys of its name, which the store keeps unique. */
export interface SessionClaim extends LiveSession {
  lookalikeKey: string;
  typedKey: string;
}

interface LiveSessionRow {
  session_id: string;
  token: string;
  name: string;
  name_key: string;
  client_id: string;
  reply_queue: string;
  since: string;
  protocol: number;
  last_seen_ms: number | null;
}

/** Where a session is looked up by: the columns with an index of their own. */
export type SessionKey = 'token' | 'nameKey' | 'replyQueue';

/**
 * The sessions table as the registry (server/state/registry.ts) uses it: the store, not a
 * coordinator's memory, is what says who holds which name, so several coordinators sharing one
 * store agree. A name is claimed by an insert that the unique look-alike keys refuse when anyone
 * holds the name or one like it, so two coordinators claiming at once cannot both win.
 */
export interface SessionTable {
  /** False when a session holds this name or a look-alike (or, on a redelivery, this very session). */
  claim(session: SessionClaim): boolean;
  find(by: SessionKey, value: string): LiveSession | undefined;
  /** The session holding a name with either of these look-alike keys. */
  holderOf(key: string, typedKey: string): LiveSession | undefined;
  touch(sessionId: string, lastSeenMs: number): void;
  /** True if this call removed it (of several coordinators ending one session, exactly one does). */
  remove(sessionId: string): boolean;
  all(): LiveSession[];
  /** Sessions last seen before `cutoffMs`. */
  silentSince(cutoffMs: number): LiveSession[];
  count(): number;
  /** Sessions whose client speaks a protocol older than `version`. */
  olderThan(version: number): number;
  /**
   * At a coordinator's start: every session's timeout counts from now (its clients could not reach
   * anyone while it was away), and sessions saved by a version without look-alike keys get them.
   */
  startOver(keysOf: (name: string) => { key: string; typedKey: string }, nowMs: number): void;
}

export function prepareSessionTable(db: SqlDatabase): SessionTable {
  const columns = 'session_id, token, name, name_key, client_id, reply_queue, since, protocol, last_seen_ms';
  const sql = {
    claim: db.prepare(
      `INSERT INTO sessions (session_id, token, name, name_key, client_id, reply_queue, since, protocol, lookalike_key, typed_key, last_seen_ms)
       VALUES (@sessionId, @token, @name, @nameKey, @clientId, @replyQueue, @since, @protocol, @lookalikeKey, @typedKey, @lastSeenMs)
       ON CONFLICT DO NOTHING`,
    ),
    byToken: db.prepare<[string], LiveSessionRow>(`SELECT ${columns} FROM sessions WHERE token = ?`),
    byNameKey: db.prepare<[string], LiveSessionRow>(`SELECT ${columns} FROM sessions WHERE name_key = ?`),
    byReplyQueue: db.prepare<[string], LiveSessionRow>(`SELECT ${columns} FROM sessions WHERE reply_queue = ? ORDER BY since DESC LIMIT 1`),
    holder: db.prepare<[string, string], LiveSessionRow>(`SELECT ${columns} FROM sessions WHERE lookalike_key = ? OR typed_key = ? LIMIT 1`),
    touch: db.prepare<[number, string, number]>('UPDATE sessions SET last_seen_ms = ? WHERE session_id = ? AND last_seen_ms < ?'),
    remove: db.prepare<[string]>('DELETE FROM sessions WHERE session_id = ?'),
    all: db.prepare<[], LiveSessionRow>(`SELECT ${columns} FROM sessions ORDER BY since, name_key`),
    silent: db.prepare<[number], LiveSessionRow>(`SELECT ${columns} FROM sessions WHERE last_seen_ms < ? ORDER BY since, name_key`),
    count: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM sessions'),
    older: db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM sessions WHERE protocol < ?'),
    missing: db.prepare<[], { session_id: string; name: string }>('SELECT session_id, name FROM sessions WHERE lookalike_key IS NULL'),
    fill: db.prepare<[string, string, string]>('UPDATE sessions SET lookalike_key = ?, typed_key = ? WHERE session_id = ?'),
    freshTimeout: db.prepare<[number, number]>('UPDATE sessions SET last_seen_ms = ? WHERE last_seen_ms IS NULL OR last_seen_ms < ?'),
  };
  const byKey = { token: sql.byToken, nameKey: sql.byNameKey, replyQueue: sql.byReplyQueue };
  return {
    claim: (session) => sql.claim.run(session).changes === 1,
    find: (by, value) => toLiveSession(byKey[by].get(value)),
    holderOf: (key, typedKey) => toLiveSession(sql.holder.get(key, typedKey)),
    touch: (sessionId, lastSeenMs) => void sql.touch.run(lastSeenMs, sessionId, lastSeenMs),
    remove: (sessionId) => sql.remove.run(sessionId).changes === 1,
    all: () => sql.all.all().map((row) => toLiveSession(row)!),
    silentSince: (cutoffMs) => sql.silent.all(cutoffMs).map((row) => toLiveSession(row)!),
    count: () => sql.count.get()!.n,
    olderThan: (version) => sql.older.get(version)!.n,
    startOver: (keysOf, nowMs) => {
      for (const { session_id: sessionId, name } of sql.missing.all()) {
        const keys = keysOf(name);
        sql.fill.run(keys.key, keys.typedKey, sessionId);
      }
      sql.freshTimeout.run(nowMs, nowMs);
    },
  };
}

function toLiveSession(row: LiveSessionRow | undefined): LiveSession | undefined {
  if (!row) return undefined;
  return {
    sessionId: row.session_id,
    token: row.token,
    name: row.name,
    nameKey: row.name_key,
    clientId: row.client_id,
    replyQueue: row.reply_queue,
    since: row.since,
    protocol: row.protocol,
    lastSeenMs: row.last_seen_ms ?? 0,
  };
}
