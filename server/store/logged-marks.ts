import type { SqlDatabase, SqlStatement, SqlTransaction } from './sql/sql-database.js';

/** How long a mark may wait for a batch to carry it before it gets a transaction of its own. */
const MARK_DELAY_MS = 50;

/** Marks written by one `UPDATE … WHERE num IN (…)` at most; a statement is prepared once for each count up to this. */
const MARKS_PER_STATEMENT = 64;

/**
 * The `logged` marks of stored messages whose chat-log line is written (sql-store.ts). Deferred:
 * a mark rides along in the next batch's transaction (`write`), or gets one of its own after
 * MARK_DELAY_MS when no batch comes. A crash before that leaves the message unmarked, and recovery
 * finds its line in the log by id.
 */
export class LoggedMarks {
  private pending = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  /** `UPDATE … SET logged = 1 WHERE num IN (?, …)`, by the number of placeholders (1 to MARKS_PER_STATEMENT). */
  private readonly statements = new Map<number, SqlStatement<number[]>>();
  private readonly ownTransaction: SqlTransaction<() => void>;

  constructor(private readonly db: SqlDatabase) {
    this.ownTransaction = db.transaction(() => this.write());
  }

  add(num: number): void {
    this.pending.add(num);
    this.timer ??= setTimeout(() => this.flush(), MARK_DELAY_MS);
  }

  /** Whether this message's mark waits to be written (its line is in the log). */
  has(num: number): boolean {
    return this.pending.has(num);
  }

  /** The marks waiting now: a batch that rolls back gives them back with `add`, since its write is undone. */
  waiting(): number[] {
    return this.pending.size > 0 ? [...this.pending] : [];
  }

  /** Inside a transaction: every waiting mark, up to MARKS_PER_STATEMENT in one UPDATE. */
  write(): void {
    if (this.pending.size > 0) {
      const nums = [...this.pending];
      for (let start = 0; start < nums.length; start += MARKS_PER_STATEMENT) {
        const chunk = nums.slice(start, start + MARKS_PER_STATEMENT);
        this.statement(chunk.length).run(...chunk);
      }
    }
    this.pending.clear();
    this.clearTimer();
  }

  /** Now, in a transaction of their own (before reading what is unlogged, and at close). */
  flush(): void {
    if (this.pending.size > 0 && this.db.open) this.ownTransaction();
    this.clearTimer();
  }

  private statement(count: number): SqlStatement<number[]> {
    let statement = this.statements.get(count);
    if (!statement) {
      statement = this.db.prepare<number[]>(`UPDATE messages SET logged = 1 WHERE num IN (${Array(count).fill('?').join(', ')})`);
      this.statements.set(count, statement);
    }
    return statement;
  }

  private clearTimer(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
