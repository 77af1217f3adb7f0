import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { WalCheckpointer } from '../wal-checkpointer.js';
import type { Dialect, SqlDatabase, SqlStatement, SqlTransaction } from './sql-database.js';

/** How often the checkpoint thread copies the WAL back (a PASSIVE checkpoint, cheap when there is little). */
const CHECKPOINT_INTERVAL_MS = 500;

export interface SqliteFileOptions {
  /**
   * Checkpoint on a thread of its own (the coordinator does; tests and tools that open a store
   * for a moment need not). `onCheckpointFailure`: told when that thread fails, after which
   * SQLite checkpoints inside commits again.
   */
  backgroundCheckpoints?: boolean;
  onCheckpointFailure?: (reason: string) => void;
}

/**
 * The SQL port on better-sqlite3: statements and transactions are better-sqlite3's own, handed
 * out unwrapped, so the port costs nothing per call.
 */
export class SqliteDatabase implements SqlDatabase {
  readonly dialect: Dialect = 'sqlite';
  private checkpointer: WalCheckpointer | undefined;

  constructor(readonly raw: Database.Database) {}

  /** `warren.db` in `dataDir`, in WAL mode: a commit survives the coordinator being killed at any instant. */
  static openFile(dataDir: string, options: SqliteFileOptions = {}): SqliteDatabase {
    mkdirSync(dataDir, { recursive: true });
    const path = join(dataDir, 'warren.db');
    const raw = new Database(path);
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = NORMAL');
    raw.pragma('busy_timeout = 5000');
    // Checkpoints (WAL pages copied back into the database, with an fsync): on a thread of their
    // own when asked (wal-checkpointer.ts), else SQLite's own every 1,000 pages inside a commit.
    // The WAL file is cut back to 64 MB after each one.
    raw.pragma('journal_size_limit = 67108864');
    const db = new SqliteDatabase(raw);
    if (options.backgroundCheckpoints) {
      raw.pragma('wal_autocheckpoint = 0');
      db.checkpointer = new WalCheckpointer(path, {
        intervalMs: CHECKPOINT_INTERVAL_MS,
        onFailure: (reason) => {
          if (raw.open) raw.pragma('wal_autocheckpoint = 1000');
          options.onCheckpointFailure?.(reason);
        },
      });
    }
    return db;
  }

  get open(): boolean {
    return this.raw.open;
  }

  get inTransaction(): boolean {
    return this.raw.inTransaction;
  }

  prepare<P extends unknown[] = unknown[], R = unknown>(sql: string): SqlStatement<P, R> {
    return this.raw.prepare<P, R>(sql);
  }

  exec(sql: string): void {
    this.raw.exec(sql);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  transaction<F extends (...args: any[]) => any>(fn: F): SqlTransaction<F> {
    return this.raw.transaction(fn) as unknown as SqlTransaction<F>;
  }

  /** SQLite only (tests and tools). */
  pragma(source: string): unknown {
    return this.raw.pragma(source, { simple: true });
  }

  close(): void {
    this.checkpointer?.stop();
    this.checkpointer = undefined;
    if (this.raw.open) this.raw.close();
  }
}
