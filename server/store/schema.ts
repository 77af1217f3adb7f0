import { DIALECTS, type DialectFacts } from './sql/dialect.js';
import type { SqlDatabase } from './sql/sql-database.js';

/**
 * The schema, in the words of one dialect (sql/dialect.ts). `num` is never reused (AUTOINCREMENT,
 * an identity on PostgreSQL); `seq` is per room, from rooms.last_seq.
 * `accounts` (account-store.ts) is keyed by the look-alike keys of shared/name-key.ts;
 * `broker_identities` (identity-store.ts) holds the clients' broker users;
 * `coordinator_logins` (coordinator-login-store.ts) the digests of the running coordinators' broker passwords.
 */
export const schemaFor = (d: DialectFacts): string => `
CREATE TABLE IF NOT EXISTS messages (
  num           ${d.autoKey},
  id            TEXT NOT NULL,
  room          TEXT NOT NULL,
  seq           ${d.int64} NOT NULL,
  session_id    TEXT NOT NULL,
  sender_key    TEXT NOT NULL,
  client_msg_id TEXT NOT NULL,
  sender        TEXT NOT NULL,
  recipient     TEXT,
  text          TEXT NOT NULL,
  client_ts     TEXT NOT NULL,
  server_ts     TEXT NOT NULL,
  edited_at     TEXT,
  expires_at    TEXT,
  logged        INTEGER NOT NULL DEFAULT 0,
  UNIQUE (room, seq),
  UNIQUE (session_id, client_msg_id)
);
CREATE INDEX IF NOT EXISTS messages_by_sender ON messages (sender_key, num);
CREATE INDEX IF NOT EXISTS messages_unlogged ON messages (logged) WHERE logged = 0;
CREATE INDEX IF NOT EXISTS messages_expiring ON messages (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS rooms (
  name       TEXT PRIMARY KEY,
  kind       TEXT NOT NULL,
  created_by TEXT,
  created_at TEXT NOT NULL,
  ttl_ms     ${d.int64},
  last_seq   ${d.int64} NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS members (
  room          TEXT NOT NULL,
  name_key      TEXT NOT NULL,
  name          TEXT NOT NULL,
  role          TEXT NOT NULL,
  delivered_seq ${d.int64} NOT NULL DEFAULT 0,
  ${d.membersOrderColumn}
  PRIMARY KEY (room, name_key)
);
CREATE INDEX IF NOT EXISTS members_by_name ON members (name_key);
CREATE TABLE IF NOT EXISTS sessions (
  session_id  TEXT PRIMARY KEY,
  token       TEXT NOT NULL UNIQUE,
  name        TEXT NOT NULL,
  name_key    TEXT NOT NULL UNIQUE,
  client_id   TEXT NOT NULL,
  reply_queue TEXT NOT NULL,
  since       TEXT NOT NULL,
  protocol    INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS flags (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS accounts (
  name_key      TEXT PRIMARY KEY,
  typed_key     TEXT NOT NULL UNIQUE,
  name          TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS broker_identities (
  id            TEXT PRIMARY KEY,
  secret_sha256 ${d.bytes} NOT NULL,
  name          TEXT,
  name_key      TEXT,
  created_ms    ${d.int64} NOT NULL,
  bound_ms      ${d.int64},
  revoked_ms    ${d.int64}
);
CREATE INDEX IF NOT EXISTS broker_identities_unbound ON broker_identities (created_ms) WHERE name IS NULL AND revoked_ms IS NULL;
CREATE INDEX IF NOT EXISTS broker_identities_by_name ON broker_identities (name_key) WHERE name_key IS NOT NULL;
CREATE TABLE IF NOT EXISTS coordinator_logins (
  digest   TEXT PRIMARY KEY,
  instance TEXT NOT NULL,
  seen_ms  ${d.int64} NOT NULL
);
`;

/**
 * Indexes that later versions no longer keep: dropped from a database made before. Every one costs
 * each insert a page write. `messages_by_session`: /mymsgs of one session is served by the unique
 * (session_id, client_msg_id) index. (A database made before keeps the unique index on `id`, which
 * SQLite cannot drop without rebuilding the table; `id` is no longer looked up.)
 */
export const DROPPED_INDEXES: readonly string[] = ['messages_by_session'];

/** Columns added after a table was first created: added to a database made before them. */
export const ADDED_COLUMNS: readonly { table: string; column: string; definition: string }[] = [
  { table: 'sessions', column: 'protocol', definition: 'INTEGER NOT NULL DEFAULT 1' },
  // Look-alike keys (shared/name-key.ts) and the last sign of life: the store, not a coordinator's
  // memory, says who holds a name and who went silent (several coordinators share it).
  { table: 'sessions', column: 'lookalike_key', definition: 'TEXT' },
  { table: 'sessions', column: 'typed_key', definition: 'TEXT' },
  { table: 'sessions', column: 'last_seen_ms', definition: 'BIGINT' },
];

/** Indexes on added columns: made after the columns exist (a database of an earlier version gets them then). */
export const ADDED_INDEXES = `
CREATE UNIQUE INDEX IF NOT EXISTS sessions_by_lookalike ON sessions (lookalike_key);
CREATE UNIQUE INDEX IF NOT EXISTS sessions_by_typed_key ON sessions (typed_key);
CREATE INDEX IF NOT EXISTS sessions_by_reply_queue ON sessions (reply_queue);
CREATE INDEX IF NOT EXISTS sessions_by_last_seen ON sessions (last_seen_ms);
CREATE INDEX IF NOT EXISTS sessions_by_protocol ON sessions (protocol);
`;

/**
 * Creates what is missing and brings a database made by an earlier version up to this schema. On
 * PostgreSQL, in one transaction under an advisory lock: coordinators starting together on one
 * database take turns.
 */
export function applySchema(db: SqlDatabase): void {
  const dialect = DIALECTS[db.dialect];
  const apply = (): void => {
    db.exec(schemaFor(dialect));
    for (const { table, column, definition } of ADDED_COLUMNS) {
      if (db.dialect === 'postgres' || !sqliteHasColumn(db, table, column)) db.exec(dialect.addColumn(table, column, definition));
    }
    for (const index of DROPPED_INDEXES) db.exec(`DROP INDEX IF EXISTS ${index}`);
    db.exec(ADDED_INDEXES);
  };
  if (db.dialect === 'sqlite') return apply();
  db.transaction(() => {
    db.exec(`SELECT pg_advisory_xact_lock(${SCHEMA_LOCK})`);
    apply();
  })();
}

/** The advisory lock key of applySchema on PostgreSQL ('warren' in ASCII). */
const SCHEMA_LOCK = 0x77617272656e;

function sqliteHasColumn(db: SqlDatabase, table: string, column: string): boolean {
  return db.prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('${table}')`).all().some((existing) => existing.name === column);
}
