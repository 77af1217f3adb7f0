import { ERROR_CODES } from '../../shared/index.js';
import { openStore } from '../../server/store/open-store.js';
import { numberPlaceholders } from '../../server/store/sql/placeholders.js';
import { PostgresDatabase } from '../../server/store/sql/postgres-database.js';
import type { NewMessage } from '../../server/store/store.js';
import { TEST_POSTGRES_URL, freshSchemaName, onTestPostgres } from '../support/store-engines.js';

/** The synchronous bridge to PostgreSQL (a worker thread running pg, Atomics.wait here). */
let schema: string;
let db: PostgresDatabase;

beforeEach(() => {
  schema = freshSchemaName();
  db = new PostgresDatabase({ url: TEST_POSTGRES_URL, schema });
  db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, n BIGINT, b BYTEA)');
});
afterEach(() => {
  db.close();
  onTestPostgres(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
});

describe('PostgreSQL bridge: refusals', () => {
  it('throws when the server is not there, instead of waiting', () => {
    expect(() => new PostgresDatabase({ url: 'postgres://postgres@127.0.0.1:1/test', schema: 'x', timeoutMs: 10_000 })).toThrow(/ECONNREFUSED/);
  });

  it("throws PostgreSQL's error with its SQLSTATE: 23505 for a unique violation, 42601 for bad syntax", () => {
    const insert = db.prepare('INSERT INTO t (k) VALUES (?)');
    insert.run('a');
    expect(() => insert.run('a')).toThrow(expect.objectContaining({ name: 'PostgresError', code: '23505', message: expect.stringMatching(/duplicate key/) }));
    expect(() => db.exec('SELEC 1')).toThrow(expect.objectContaining({ code: '42601' }));
    // The connection goes on after an error outside a transaction.
    expect(db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: 1 });
  });

  it('throws STORE_TIMEOUT when a call takes too long, and is closed after it', () => {
    // The limit covers connecting too: 2 s lets a loaded machine connect, and the sleep is well past it.
    const slow = new PostgresDatabase({ url: TEST_POSTGRES_URL, schema, timeoutMs: 2_000 });
    expect(() => slow.exec('SELECT pg_sleep(8)')).toThrow(expect.objectContaining({ code: ERROR_CODES.STORE_TIMEOUT }));
    expect(slow.open).toBe(false);
    expect(() => slow.exec('SELECT 1')).toThrow(expect.objectContaining({ code: ERROR_CODES.CLOSED }));
    slow.close();
  });

  it('refuses SQL that mixes ? and @name, and leaves ? inside quotes alone', () => {
    expect(() => db.prepare('SELECT ? , @a')).toThrow(/mixes/);
    expect(numberPlaceholders("SELECT '?', \"@x\", @a, @b, @a -- ?\n").text).toBe("SELECT '?', \"@x\", $1, $2, $1 -- ?\n");
    expect(db.prepare<[Record<string, unknown>], { v: string }>("SELECT CAST(@a AS TEXT) || '?' || CAST(@a AS TEXT) AS v").get({ a: 'x' })).toEqual({ v: 'x?x' });
  });
});

describe('PostgreSQL bridge: values', () => {
  it('gives BIGINT as a number and BYTEA as a Buffer, as SQLite does', () => {
    const bytes = Buffer.from([0, 1, 2, 255]);
    db.prepare('INSERT INTO t (k, n, b) VALUES (@k, @n, @b)').run({ k: 'a', n: 1_800_000_000_123, b: bytes });
    const row = db.prepare<[string], { k: string; n: number; b: Buffer }>('SELECT * FROM t WHERE k = ?').get('a');
    expect(row?.n).toBe(1_800_000_000_123);
    expect(Buffer.isBuffer(row?.b)).toBe(true);
    expect(row?.b.equals(bytes)).toBe(true);
    expect(db.prepare('UPDATE t SET n = n + 1').run()).toEqual({ changes: 1 });
    expect(db.prepare('SELECT * FROM t WHERE k = ?').get('none')).toBeUndefined();
  });
});

describe('PostgreSQL bridge: transactions', () => {
  const count = (): number => db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM t').get()?.n ?? -1;
  const insert = (k: string): void => void db.prepare('INSERT INTO t (k) VALUES (?)').run(k);

  it('rolls back everything when the function throws, and commits when it returns', () => {
    expect(() =>
      db.transaction(() => {
        insert('a');
        expect(db.inTransaction).toBe(true);
        throw new Error('no');
      })(),
    ).toThrow('no');
    expect(db.inTransaction).toBe(false);
    expect(count()).toBe(0);
    expect(db.transaction((k: string) => (insert(k), 'done')).immediate('b')).toBe('done');
    expect(count()).toBe(1);
  });

  it('refuses to pass off a transaction aborted by a failed statement whose error was caught as committed', () => {
    // PostgreSQL answers COMMIT of an aborted transaction with a silent ROLLBACK.
    expect(() =>
      db.transaction(() => {
        insert('a');
        try {
          insert('a');
        } catch {
          /* a handler refusing one input */
        }
      })(),
    ).toThrow(/aborted by an earlier failed statement \(23505/);
    expect(db.inTransaction).toBe(false);
    expect(count()).toBe(0);
    // The next transaction is sound again.
    db.transaction(() => insert('b'))();
    expect(count()).toBe(1);
  });

  it('nests as savepoints: an inner failure (a PostgreSQL error too) undoes only the inner part', () => {
    const inner = db.transaction((k: string) => insert(k));
    db.transaction(() => {
      insert('outer');
      expect(() => inner('outer')).toThrow(expect.objectContaining({ code: '23505' }));
      inner('inner');
    })();
    expect(db.prepare<[], { k: string }>('SELECT k FROM t ORDER BY k').all()).toEqual([{ k: 'inner' }, { k: 'outer' }]);
  });
});

describe('PostgreSQL store: several instances', () => {
  const message = (n: number, sessionId: string): NewMessage => ({
    id: `id-${sessionId}-${n}`,
    sessionId,
    clientMsgId: `m${n}`,
    room: 'general',
    from: 'alice',
    text: `text ${n}`,
    clientTs: '2024-05-01T12:00:00.000Z',
    serverTs: '2024-05-01T12:00:00.000Z',
  });

  it('keeps two schemas apart', () => {
    const other = freshSchemaName();
    const a = openStore({ engine: 'postgres', url: TEST_POSTGRES_URL, schema });
    const b = openStore({ engine: 'postgres', url: TEST_POSTGRES_URL, schema: other });
    try {
      a.appendMessage(message(1, 's'));
      expect(a.lastSeq('general')).toBe(1);
      expect(b.lastSeq('general')).toBe(0);
      expect(b.history('general', { limit: 10 })).toEqual([]);
    } finally {
      a.close();
      b.close();
      onTestPostgres(`DROP SCHEMA IF EXISTS ${other} CASCADE`);
    }
  });

  it("two stores on one schema (two coordinators) see each other's commits and never share a seq", () => {
    const a = openStore({ engine: 'postgres', url: TEST_POSTGRES_URL, schema });
    const b = openStore({ engine: 'postgres', url: TEST_POSTGRES_URL, schema });
    try {
      const seqs: number[] = [];
      for (let n = 0; n < 5; n++) {
        seqs.push(a.batch(() => a.appendMessage(message(n, 'sa')).event.seq));
        seqs.push(b.appendMessage(message(n, 'sb')).event.seq);
      }
      expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(b.history('general', { limit: 20 }).map((event) => event.id)).toEqual(a.history('general', { limit: 20 }).map((event) => event.id));
      a.setFlag('active', 'yes');
      expect(b.getFlag('active')).toBe('yes');
      // A redelivery that reached the other coordinator is still recognised.
      expect(b.appendMessage(message(0, 'sa')).duplicate).toBe(true);
      expect(a.lastSeq('general')).toBe(10);
    } finally {
      a.close();
      b.close();
    }
  });
});
