import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { openStore, type StoreConfig } from '../../server/store/open-store.js';
import { PostgresDatabase } from '../../server/store/sql/postgres-database.js';
import type { Dialect } from '../../server/store/sql/sql-database.js';
import type { SqlStore } from '../../server/store/sql-store.js';

/** The test PostgreSQL (trust auth). Unreachable: the PostgreSQL half of every store test fails. */
export const TEST_POSTGRES_URL = process.env.WARREN_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Where one test's store lives: a temporary directory, or a PostgreSQL schema of its own. */
export interface StorePlace {
  readonly config: StoreConfig;
  /** A store at this place (again after a close: the same data). */
  open(): SqlStore;
  /** Deletes the place (the directory, or DROP SCHEMA … CASCADE). */
  remove(): void;
}

export interface StoreEngine {
  name: Dialect;
  place(): StorePlace;
}

export const freshSchemaName = (): string => `t_${randomBytes(6).toString('hex')}`;

/** Runs one statement on the test PostgreSQL outside any store (schema upkeep). */
export function onTestPostgres(sql: string, schema = 'public'): void {
  const db = new PostgresDatabase({ url: TEST_POSTGRES_URL, schema });
  try {
    db.exec(sql);
  } finally {
    db.close();
  }
}

const sqlite: StoreEngine = {
  name: 'sqlite',
  place() {
    const dir = mkdtempSync(join(tmpdir(), 'warren-store-'));
    const config: StoreConfig = { engine: 'sqlite', dataDir: join(dir, 'data') };
    return { config, open: () => openStore(config), remove: () => rmSync(dir, { recursive: true, force: true }) };
  },
};

const postgres: StoreEngine = {
  name: 'postgres',
  place() {
    const schema = freshSchemaName();
    const config: StoreConfig = { engine: 'postgres', url: TEST_POSTGRES_URL, schema };
    return { config, open: () => openStore(config), remove: () => onTestPostgres(`DROP SCHEMA IF EXISTS ${schema} CASCADE`) };
  },
};

/** For `describe.each(STORE_ENGINES)('… on $name', (engine) => …)`: the same tests on both engines. */
export const STORE_ENGINES: StoreEngine[] = [sqlite, postgres];
