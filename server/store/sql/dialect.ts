import type { Dialect } from './sql-database.js';

/**
 * Where SQLite and PostgreSQL differ, for the store. The store's statements are written in the
 * subset both accept (ON CONFLICT, RETURNING, CAST); what is left is the DDL's words and a few
 * facts about each engine.
 */
export interface DialectFacts {
  /** A key that numbers rows and never reuses a number (messages.num). */
  autoKey: string;
  /** A 64-bit integer (ms timestamps, sequence numbers). */
  int64: string;
  bytes: string;
  /** members: a column that keeps the order rows were inserted in (SQLite has rowid). */
  membersOrderColumn: string;
  /** The expression `ORDER BY` uses for members in the order they joined. */
  membersOrder: string;
  /** Adds a column a database made by an earlier version lacks. */
  addColumn(table: string, column: string, definition: string): string;
  /**
   * A failed statement aborts a PostgreSQL transaction: what follows in it must be inside a
   * savepoint that is rolled back. SQLite goes on after a failed statement.
   */
  failedStatementAbortsTransaction: boolean;
}

export const DIALECTS: Record<Dialect, DialectFacts> = {
  sqlite: {
    autoKey: 'INTEGER PRIMARY KEY AUTOINCREMENT',
    int64: 'INTEGER',
    bytes: 'BLOB',
    membersOrderColumn: '',
    membersOrder: 'rowid',
    // SQLite has no ADD COLUMN IF NOT EXISTS: schema.ts asks pragma_table_info first.
    addColumn: (table, column, definition) => `ALTER TABLE ${table} ADD COLUMN ${column} ${definition}`,
    failedStatementAbortsTransaction: false,
  },
  postgres: {
    autoKey: 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY',
    int64: 'BIGINT',
    bytes: 'BYTEA',
    membersOrderColumn: 'joined BIGINT GENERATED ALWAYS AS IDENTITY,',
    membersOrder: 'joined',
    addColumn: (table, column, definition) => `ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS ${column} ${definition}`,
    failedStatementAbortsTransaction: true,
  },
};

/** True for a unique-constraint violation on either engine (better-sqlite3's code, or SQLSTATE 23505). */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
