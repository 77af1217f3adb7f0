#!/usr/bin/env node
/**
 * The store's cost per message on each engine: N messages appended through the Store interface,
 * one per batch and 50 per batch (the coordinator's group commit), on SQLite (a temporary file)
 * and on PostgreSQL (a schema of its own, dropped after). Prints µs/message and messages/s.
 *
 *   node dist/bench/store-engines.js [--n 2000] [--postgres postgres://postgres@127.0.0.1:5432/test]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openStore, type StoreConfig } from '../server/store/open-store.js';
import { PostgresDatabase } from '../server/store/sql/postgres-database.js';
import type { Store } from '../server/store/store.js';

const { values } = parseArgs({ options: { n: { type: 'string', default: '2000' }, postgres: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' } } });
const N = Number(values.n);
const BATCHES = [1, 50];

function run(store: Store, batchSize: number, tag: string): number {
  let sent = 0;
  const started = process.hrtime.bigint();
  while (sent < N) {
    store.batch(() => {
      for (let i = 0; i < batchSize && sent < N; i++, sent++) {
        store.appendMessage({
          id: `${tag}-${sent}`,
          sessionId: `bench-${tag}`,
          clientMsgId: `m${sent}`,
          room: 'general',
          from: 'bench',
          text: 'a line of chat of an ordinary length, about sixty characters',
          clientTs: new Date().toISOString(),
          serverTs: new Date().toISOString(),
        });
      }
    });
  }
  return Number(process.hrtime.bigint() - started) / 1000 / N;
}

function measure(name: string, config: StoreConfig): void {
  const store = openStore(config);
  try {
    for (const batchSize of BATCHES) {
      const us = run(store, batchSize, `b${batchSize}`);
      console.log(`${name.padEnd(10)} batch ${String(batchSize).padStart(2)}: ${us.toFixed(1).padStart(8)} µs/message ${Math.round(1e6 / us).toString().padStart(8)} messages/s`);
    }
  } finally {
    store.close();
  }
}

console.log(`${N} messages per run`);
const dir = mkdtempSync(join(tmpdir(), 'warren-bench-store-'));
try {
  measure('sqlite', { engine: 'sqlite', dataDir: dir });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const schema = `bench_${randomBytes(4).toString('hex')}`;
try {
  measure('postgres', { engine: 'postgres', url: values.postgres, schema });
} finally {
  const admin = new PostgresDatabase({ url: values.postgres, schema: 'public' });
  admin.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  admin.close();
}
