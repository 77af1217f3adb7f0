import type { SqlDatabase } from './sql/sql-database.js';
import { nameKey } from '../../shared/index.js';
import { isUniqueViolation } from './sql/dialect.js';
import type { IdentityChange, IdentityDirectory, IdentityRecord, IdentityState } from '../authority/directory.js';

interface Row {
  id: string;
  secret_sha256: Buffer;
  name: string | null;
  created_ms: number;
  bound_ms: number | null;
  revoked_ms: number | null;
}

/** The state the columns of identity-store.ts encode: revoked wins, then bound. */
function stateOf(row: Row): IdentityState {
  if (row.revoked_ms !== null) return 'revoked';
  return row.bound_ms !== null ? 'bound' : 'unbound';
}

function toRecord(row: Row): IdentityRecord {
  return {
    clientId: row.id,
    secretDigest: row.secret_sha256,
    state: stateOf(row),
    name: row.name,
    createdAt: row.created_ms,
    updatedAt: row.revoked_ms ?? row.bound_ms ?? row.created_ms,
  };
}

/**
 * The authority's IdentityDirectory on the store's `broker_identities` table (identity-store.ts)
 * and the store's one connection, so identities outlive a coordinator restart: a client that
 * reconnects after one presents the same id and secret and is let in. Synchronous like every
 * broker decision. `close` leaves the connection to the store, which owns it.
 */
export class SqlIdentityDirectory implements IdentityDirectory {
  private readonly sql;

  constructor(db: SqlDatabase) {
    this.sql = {
      get: db.prepare<[string], Row>('SELECT id, secret_sha256, name, created_ms, bound_ms, revoked_ms FROM broker_identities WHERE id = ?'),
      insert: db.prepare<[string, Buffer, string | null, string | null, number, number | null, number | null]>(
        'INSERT INTO broker_identities (id, secret_sha256, name, name_key, created_ms, bound_ms, revoked_ms) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      // The conditions are allowedChange (authority/directory.ts), checked in the one statement, so
      // a change another authority made a moment ago is never overwritten (revocation is final).
      unbind: db.prepare<[string]>('UPDATE broker_identities SET name = NULL, name_key = NULL, bound_ms = NULL WHERE id = ? AND revoked_ms IS NULL AND bound_ms IS NULL'),
      bind: db.prepare<[string, string, number, string, string]>(
        'UPDATE broker_identities SET name = ?, name_key = ?, bound_ms = ? WHERE id = ? AND revoked_ms IS NULL AND (bound_ms IS NULL OR name = ?)',
      ),
      revoke: db.prepare<[string | null, string | null, number, string]>(
        'UPDATE broker_identities SET name = ?, name_key = ?, revoked_ms = ? WHERE id = ?',
      ),
      delete: db.prepare<[string]>('DELETE FROM broker_identities WHERE id = ?'),
      countUnbound: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM broker_identities WHERE bound_ms IS NULL AND revoked_ms IS NULL'),
      unboundBefore: db.prepare<[number], { id: string }>(
        'SELECT id FROM broker_identities WHERE bound_ms IS NULL AND revoked_ms IS NULL AND created_ms < ? ORDER BY created_ms',
      ),
      deleteRevokedBefore: db.prepare<[number]>('DELETE FROM broker_identities WHERE revoked_ms IS NOT NULL AND revoked_ms < ?'),
    };
  }

  get(clientId: string): IdentityRecord | undefined {
    const row = this.sql.get.get(clientId);
    return row ? toRecord(row) : undefined;
  }

  insert(record: IdentityRecord): boolean {
    const key = record.name === null ? null : nameKey(record.name);
    const bound = record.state === 'bound' ? record.updatedAt : null;
    const revoked = record.state === 'revoked' ? record.updatedAt : null;
    try {
      this.sql.insert.run(record.clientId, record.secretDigest, record.name, key, record.createdAt, bound, revoked);
      return true;
    } catch (err) {
      // Another authority registered (or revoked) this id a moment ago.
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  update(clientId: string, change: IdentityChange): boolean {
    if (change.state === 'unbound') return this.sql.unbind.run(clientId).changes === 1;
    if (change.state === 'bound') {
      const name = change.name ?? '';
      return this.sql.bind.run(name, nameKey(name), change.updatedAt, clientId, name).changes === 1;
    }
    return this.sql.revoke.run(change.name, change.name === null ? null : nameKey(change.name), change.updatedAt, clientId).changes === 1;
  }

  delete(clientId: string): void {
    this.sql.delete.run(clientId);
  }

  countUnbound(): number {
    return this.sql.countUnbound.get()?.n ?? 0;
  }

  unboundCreatedBefore(createdBefore: number): string[] {
    return this.sql.unboundBefore.all(createdBefore).map((row) => row.id);
  }

  deleteRevokedBefore(updatedBefore: number): number {
    return this.sql.deleteRevokedBefore.run(updatedBefore).changes;
  }

  close(): void {
    // The store owns the connection and closes it after the authority has stopped.
  }
}
