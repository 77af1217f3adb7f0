import { createRequire } from 'node:module';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { ERROR_CODES, WarrenError } from '../../../shared/index.js';
import { bindValues, numberPlaceholders } from './placeholders.js';
import { POSTGRES_WORKER_SOURCE } from './postgres-worker-source.js';
import type { Dialect, RunResult, SqlDatabase, SqlStatement, SqlTransaction } from './sql-database.js';

/** How long one call may take before the store gives up on the connection. */
export const DEFAULT_POSTGRES_TIMEOUT_MS = 30_000;

export interface PostgresOptions {
  /** `postgres://` or `postgresql://` URL (server/store/store-config.ts validates it). */
  url: string;
  /** The schema this store's tables live in (created if missing; the connection's search_path). */
  schema: string;
  timeoutMs?: number;
}

/** An error PostgreSQL raised, with its SQLSTATE as `code` (`23505`: a unique violation). */
export class PostgresError extends Error {
  readonly code: string;
  readonly detail: string | undefined;
  readonly constraint: string | undefined;

  constructor(failure: Failure) {
    super(failure.message);
    this.name = 'PostgresError';
    this.code = failure.code ?? 'UNKNOWN';
    this.detail = failure.detail;
    this.constraint = failure.constraint;
  }
}

interface Failure {
  message: string;
  code?: string;
  detail?: string;
  constraint?: string;
}

interface Answer {
  id: number;
  rows?: Record<string, unknown>[];
  changes?: number;
  error?: Failure;
}

/**
 * The SQL port on PostgreSQL, synchronous: `pg` runs on a worker thread, and each call posts its
 * request there and blocks this thread in Atomics.wait until the worker raises the shared flag,
 * then takes the answer with receiveMessageOnPort. A call costs one round trip to the server plus
 * two thread hand-offs (docs/STORE.md). Transactions are BEGIN/COMMIT, nested ones SAVEPOINTs.
 * A call that takes longer than `timeoutMs` throws STORE_TIMEOUT and closes the store: the
 * connection is in an unknown state (mid-transaction, perhaps) and is not used again.
 */
export class PostgresDatabase implements SqlDatabase {
  readonly dialect: Dialect = 'postgres';
  private readonly worker: Worker;
  private readonly answers: MessagePort;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private readonly timeoutMs: number;
  private nextId = 0;
  private statements = 0;
  private depth = 0;
  private closed = false;
  /** The first statement that failed in the open transaction, until a rollback (to a savepoint) undoes it. */
  private abortedBy: PostgresError | undefined;

  constructor(options: PostgresOptions) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_POSTGRES_TIMEOUT_MS;
    const channel = new MessageChannel();
    this.answers = channel.port1;
    const modulePath = createRequire(import.meta.url).resolve('pg');
    this.worker = new Worker(POSTGRES_WORKER_SOURCE, {
      eval: true,
      workerData: { modulePath, url: options.url, schema: options.schema, answers: channel.port2, flag: this.flag },
      transferList: [channel.port2],
    });
    this.worker.unref();
    this.answers.unref();
    this.worker.on('error', () => {
      this.closed = true;
    });
    try {
      // Connects (and creates the schema): a server that is not there fails here, not at the first statement.
      this.call({ op: 'exec', sql: 'SELECT 1' });
    } catch (err) {
      this.close();
      throw err;
    }
  }

  get open(): boolean {
    return !this.closed;
  }

  get inTransaction(): boolean {
    return this.depth > 0;
  }

  prepare<P extends unknown[] = unknown[], R = unknown>(sql: string): SqlStatement<P, R> {
    const { text, names } = numberPlaceholders(sql);
    this.statements += 1;
    const name = `w${this.statements}`;
    const query = (params: unknown[]): Answer => this.call({ op: 'query', name, sql: text, values: bindValues(names, params) });
    return {
      run: (...params: P): RunResult => ({ changes: query(params).changes ?? 0 }),
      get: (...params: P): R | undefined => withBuffers(query(params).rows?.[0]) as R | undefined,
      all: (...params: P): R[] => (query(params).rows ?? []).map(withBuffers) as R[],
    };
  }

  exec(sql: string): void {
    this.call({ op: 'exec', sql });
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  transaction<F extends (...args: any[]) => any>(fn: F): SqlTransaction<F> {
    const run = (...args: Parameters<F>): ReturnType<F> => {
      const savepoint = this.depth > 0 ? `s${this.depth}` : undefined;
      this.exec(savepoint ? `SAVEPOINT ${savepoint}` : 'BEGIN');
      this.depth += 1;
      let result: ReturnType<F>;
      try {
        result = fn(...args) as ReturnType<F>;
      } catch (err) {
        this.depth -= 1;
        this.undo(savepoint);
        throw err;
      }
      this.depth -= 1;
      // A statement failed and its error was caught inside `fn` (a handler refusing one input):
      // PostgreSQL then answers COMMIT with a silent ROLLBACK, and everything `fn` did is gone.
      // Say so, so that the caller hands back what it believed stored (deadlocks, 40P01, end here).
      const aborted = this.abortedBy;
      if (aborted) {
        this.undo(savepoint);
        throw new PostgresError({ code: aborted.code, message: `the transaction was aborted by an earlier failed statement (${aborted.code}: ${aborted.message}); nothing of it was stored` });
      }
      // A failed COMMIT ends the transaction; a failed RELEASE leaves it aborted, for the caller's rollback.
      this.exec(savepoint ? `RELEASE SAVEPOINT ${savepoint}` : 'COMMIT');
      return result;
    };
    return Object.assign(run, { immediate: run });
  }

  /** Rolls back after `fn` threw; the error `fn` threw is the one that matters, not a failure here. */
  private undo(savepoint: string | undefined): void {
    if (this.closed) return;
    try {
      this.exec(savepoint ? `ROLLBACK TO SAVEPOINT ${savepoint}; RELEASE SAVEPOINT ${savepoint}` : 'ROLLBACK');
      // Back at a savepoint taken before the failure, or out of the transaction: sound again.
      this.abortedBy = undefined;
    } catch {
      // The connection is gone or the store timed out (closed then): nothing is left to undo here.
    }
  }

  close(): void {
    if (this.closed) return;
    try {
      this.call({ op: 'close' }, 5_000);
    } catch {
      // Closing anyway: the worker goes below.
    }
    this.closed = true;
    this.answers.close();
    void this.worker.terminate();
  }

  /** One request to the worker, waited for on this thread. */
  private call(request: { op: 'exec' | 'query' | 'close'; sql?: string; name?: string; values?: unknown[] }, timeoutMs = this.timeoutMs): Answer {
    if (this.closed) throw new WarrenError(ERROR_CODES.CLOSED, 'the PostgreSQL store is closed');
    const id = ++this.nextId;
    Atomics.store(this.flag, 0, 0);
    this.worker.postMessage({ ...request, id });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0 || Atomics.wait(this.flag, 0, 0, left) === 'timed-out') {
        this.closed = true;
        this.answers.close();
        void this.worker.terminate();
        throw new WarrenError(ERROR_CODES.STORE_TIMEOUT, `PostgreSQL did not answer within ${timeoutMs} ms; the store is closed`);
      }
      Atomics.store(this.flag, 0, 0);
      for (let received = receiveMessageOnPort(this.answers); received; received = receiveMessageOnPort(this.answers)) {
        const answer = received.message as Answer;
        if (answer.id !== id) continue;
        if (answer.error) {
          const error = new PostgresError(answer.error);
          // Inside a transaction a failed statement aborts it (or the innermost savepoint, which the
          // transaction wrapper rolls back to): remembered, so its COMMIT cannot pass for one.
          if (this.depth > 0) this.abortedBy ??= error;
          throw error;
        }
        return answer;
      }
    }
  }
}

/** BYTEA arrives as a Uint8Array (a Buffer does not survive the thread hop): a Buffer again, as SQLite gives. */
function withBuffers(row: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!row) return row;
  for (const key in row) {
    const value = row[key];
    if (value instanceof Uint8Array && !Buffer.isBuffer(value)) row[key] = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  }
  return row;
}
