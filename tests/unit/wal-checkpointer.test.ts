import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WalCheckpointer } from '../../server/store/wal-checkpointer.js';
import { openSqliteStore } from '../../server/store/open-store.js';
import type { SqliteDatabase } from '../../server/store/sql/sqlite-database.js';
import { waitFor } from '../support/wait.js';

const message = (n: number) => ({
  id: `id-${n}`,
  room: 'general',
  sessionId: 'session-a',
  clientMsgId: `m${n}`,
  from: 'alice',
  text: 'x'.repeat(200),
  clientTs: '2026-01-01T00:00:00.000Z',
  serverTs: '2026-01-01T00:00:00.000Z',
});

describe('checkpoints on a thread of their own (wal-checkpointer.ts)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'warren-wal-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reports a thread that cannot open the database, and the store goes back to checkpointing in its commits', async () => {
    const reasons: string[] = [];
    const checkpointer = new WalCheckpointer(join(dir, 'missing', 'warren.db'), { intervalMs: 50, onFailure: (reason) => reasons.push(reason) });
    await waitFor(() => reasons.length > 0, 'the failure to be reported');
    expect(reasons[0]).toMatch(/directory does not exist|unable to open|exited/i);
    checkpointer.stop();
  });

  it('turns the writer’s own checkpoints off and copies the WAL into the database file from the other thread', async () => {
    const failures: string[] = [];
    const store = openSqliteStore(dir, { backgroundCheckpoints: true, onCheckpointFailure: (reason) => failures.push(reason) });
    try {
      expect((store.database as SqliteDatabase).pragma('wal_autocheckpoint')).toBe(0);
      const before = statSync(join(dir, 'warren.db')).size;
      for (let n = 0; n < 2000; n++) store.appendMessage(message(n));
      // Nothing on this thread checkpoints: the database file grows only through the other one.
      await waitFor(() => statSync(join(dir, 'warren.db')).size > before + 200 * 2000 * 0.5, 'the database file to take the WAL in', 10_000);
      expect(store.history('general', { limit: 1 })[0]?.seq).toBe(2000);
      expect(failures).toEqual([]);
    } finally {
      store.close();
    }
  });

  it('keeps SQLite’s own checkpoints for a store opened without it', () => {
    const store = openSqliteStore(dir);
    try {
      expect((store.database as SqliteDatabase).pragma('wal_autocheckpoint')).toBe(1000);
    } finally {
      store.close();
    }
  });
});
