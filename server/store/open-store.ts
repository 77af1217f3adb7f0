import { PostgresDatabase } from './sql/postgres-database.js';
import { SqliteDatabase, type SqliteFileOptions } from './sql/sqlite-database.js';
import { SqlStore } from './sql-store.js';

/** Which engine holds the store (server/config.ts builds it from WARREN_STORE_URL). */
export type StoreConfig =
  | ({ engine: 'sqlite'; dataDir: string } & SqliteFileOptions)
  | { engine: 'postgres'; url: string; schema: string; timeoutMs?: number };

/** The store on the engine `config` names: SQLite's file in its data directory, or a PostgreSQL schema. */
export function openStore(config: StoreConfig): SqlStore {
  if (config.engine === 'sqlite') return new SqlStore(SqliteDatabase.openFile(config.dataDir, config));
  const db = new PostgresDatabase({ url: config.url, schema: config.schema, ...(config.timeoutMs === undefined ? {} : { timeoutMs: config.timeoutMs }) });
  try {
    return new SqlStore(db);
  } catch (err) {
    db.close();
    throw err;
  }
}

/** SQLite's file in `dataDir` (tests and tools). */
export const openSqliteStore = (dataDir: string, options: SqliteFileOptions = {}): SqlStore => openStore({ engine: 'sqlite', dataDir, ...options });
