/**
 * The synchronous SQL port both engines implement (sqlite-database.ts, postgres-database.ts). Its
 * shape is better-sqlite3's, so the stores read the same on either: `prepare` once, then `run`,
 * `get` and `all` with positional `?` or named `@name` parameters (one object). The coordinator's
 * handler tier is synchronous by design (one transaction per event-loop turn), hence no promises.
 */
export type Dialect = 'sqlite' | 'postgres';

export interface RunResult {
  /** Rows the statement inserted, updated or deleted. */
  changes: number;
  /** SQLite only: the rowid of the last row inserted (stale when `changes` is 0). */
  lastInsertRowid?: number | bigint;
}

export interface SqlStatement<P extends unknown[] = unknown[], R = unknown> {
  run(...params: P): RunResult;
  get(...params: P): R | undefined;
  all(...params: P): R[];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFunction = (...args: any[]) => any;

/** Runs `fn` in BEGIN/COMMIT (nested: a SAVEPOINT), rolled back when it throws. */
export interface SqlTransaction<F extends AnyFunction> {
  (...args: Parameters<F>): ReturnType<F>;
  /** SQLite: BEGIN IMMEDIATE (the write lock up front, so no deadlock on upgrade). PostgreSQL: the same as a call. */
  immediate(...args: Parameters<F>): ReturnType<F>;
}

export interface SqlDatabase {
  readonly dialect: Dialect;
  /** False once closed (or, on PostgreSQL, once the connection is lost or a call timed out). */
  readonly open: boolean;
  readonly inTransaction: boolean;
  prepare<P extends unknown[] = unknown[], R = unknown>(sql: string): SqlStatement<P, R>;
  /** Runs statements without parameters (DDL), several separated by `;`. */
  exec(sql: string): void;
  transaction<F extends AnyFunction>(fn: F): SqlTransaction<F>;
  close(): void;
}
