import type { SqlDatabase } from './sql/sql-database.js';
import type { CoordinatorLoginStore } from '../authority/coordinator-logins.js';

/**
 * The `coordinator_logins` table: one row per running coordinator, the sha256 (hex) of the broker
 * password it minted at start, who it is (for the operator) and when it last said it is alive.
 * Every coordinator's authority reads it, so any of them lets any live coordinator log in. The
 * digest of a 256-bit random password gives nothing to someone who reads the table.
 */
export class SqlCoordinatorLogins implements CoordinatorLoginStore {
  private readonly sql;

  constructor(db: SqlDatabase) {
    this.sql = {
      record: db.prepare<[string, string, number]>(
        'INSERT INTO coordinator_logins (digest, instance, seen_ms) VALUES (?, ?, ?) ON CONFLICT (digest) DO UPDATE SET instance = excluded.instance, seen_ms = excluded.seen_ms',
      ),
      remove: db.prepare<[string]>('DELETE FROM coordinator_logins WHERE digest = ?'),
      seen: db.prepare<[string], { seen_ms: number }>('SELECT seen_ms FROM coordinator_logins WHERE digest = ?'),
      live: db.prepare<[number], { digest: string }>('SELECT digest FROM coordinator_logins WHERE seen_ms >= ?'),
      prune: db.prepare<[number]>('DELETE FROM coordinator_logins WHERE seen_ms < ?'),
    };
  }

  record(digestHex: string, instance: string, nowMs: number): void {
    this.sql.record.run(digestHex, instance, nowMs);
  }

  remove(digestHex: string): void {
    this.sql.remove.run(digestHex);
  }

  seenMs(digestHex: string): number | undefined {
    const row = this.sql.seen.get(digestHex);
    return row === undefined ? undefined : Number(row.seen_ms);
  }

  liveSince(sinceMs: number): string[] {
    return this.sql.live.all(sinceMs).map((row) => row.digest);
  }

  pruneBefore(beforeMs: number): number {
    return this.sql.prune.run(beforeMs).changes;
  }
}
