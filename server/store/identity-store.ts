import { createHash, timingSafeEqual } from 'node:crypto';
import { isUniqueViolation } from './sql/dialect.js';
import type { SqlDatabase, SqlTransaction } from './sql/sql-database.js';

/**
 * Client broker identities (the `broker_identities` table): the broker user a client mints at
 * start (`c-` + 22 base64url characters, 128 random bits) and the sha256 of its 256-bit secret.
 * Trust on first use: the first login of an unknown well-formed id registers it, unbound; the
 * coordinator binds it to a chat name at login and revokes it when that session ends, after which
 * it is refused for good (the row stays, so the id cannot be registered again). A fast hash is
 * enough for the secret: it is random and long, not a password a person chose.
 *
 * Synchronous by design: the broker's HTTP auth backend asks on every login and permission
 * check, and better-sqlite3 answers in microseconds (PostgreSQL in a round trip, docs/STORE.md).
 */
export const CLIENT_ID_PATTERN = /^c-[A-Za-z0-9_-]{22}$/;
/** A 256-bit secret in base64url is 43 characters; anything far from that is not a client's. */
export const SECRET_PATTERN = /^[A-Za-z0-9_-]{43,128}$/;

export interface IdentityRecord {
  id: string;
  /** The chat name it is bound to, or null while unbound. */
  name: string | null;
  nameKey: string | null;
  createdMs: number;
  boundMs: number | null;
  revokedMs: number | null;
}

/** Why a login is refused; stable strings the authority may log. */
export type IdentityRefusal = 'malformed-id' | 'malformed-secret' | 'wrong-secret' | 'revoked' | 'expired' | 'too-many-unbound';

export type AdmitResult = { ok: true; identity: IdentityRecord; registered: boolean } | { ok: false; reason: IdentityRefusal };

export interface AdmitPolicy {
  /** An unbound id older than this is deleted and refused (the client never logged in to the chat). */
  unboundTtlMs: number;
  /** No new registration while this many unbound ids exist. */
  maxUnbound: number;
}

export const DEFAULT_ADMIT_POLICY: AdmitPolicy = { unboundTtlMs: 2 * 60_000, maxUnbound: 1000 };

interface IdentityRow {
  id: string;
  secret_sha256: Buffer;
  name: string | null;
  name_key: string | null;
  created_ms: number;
  bound_ms: number | null;
  revoked_ms: number | null;
}

const toIdentity = (row: IdentityRow): IdentityRecord => ({
  id: row.id,
  name: row.name,
  nameKey: row.name_key,
  createdMs: row.created_ms,
  boundMs: row.bound_ms,
  revokedMs: row.revoked_ms,
});

const sha256 = (secret: string): Buffer => createHash('sha256').update(secret, 'utf8').digest();

export class IdentityStore {
  private readonly sql;
  private readonly admitTx: SqlTransaction<(id: string, secret: string, nowMs: number, policy: AdmitPolicy) => AdmitResult>;

  constructor(db: SqlDatabase) {
    this.sql = {
      get: db.prepare<[string], IdentityRow>('SELECT * FROM broker_identities WHERE id = ?'),
      insert: db.prepare<[string, Buffer, number]>('INSERT INTO broker_identities (id, secret_sha256, created_ms) VALUES (?, ?, ?)'),
      bind: db.prepare<[string, string, number, string, string]>(
        `UPDATE broker_identities SET name = ?, name_key = ?, bound_ms = COALESCE(bound_ms, ?)
         WHERE id = ? AND revoked_ms IS NULL AND (name_key IS NULL OR name_key = ?)`,
      ),
      revoke: db.prepare<[number, string]>('UPDATE broker_identities SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL'),
      revokeName: db.prepare<[number, string], { id: string }>(
        'UPDATE broker_identities SET revoked_ms = ? WHERE name_key = ? AND revoked_ms IS NULL RETURNING id',
      ),
      deleteOne: db.prepare<[string]>('DELETE FROM broker_identities WHERE id = ?'),
      expireUnbound: db.prepare<[number]>('DELETE FROM broker_identities WHERE name IS NULL AND revoked_ms IS NULL AND created_ms < ?'),
      countUnbound: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM broker_identities WHERE name IS NULL AND revoked_ms IS NULL'),
      pruneRevoked: db.prepare<[number]>('DELETE FROM broker_identities WHERE revoked_ms IS NOT NULL AND revoked_ms < ?'),
      boundTo: db.prepare<[string], IdentityRow>('SELECT * FROM broker_identities WHERE name_key = ? AND revoked_ms IS NULL ORDER BY bound_ms'),
    };
    this.admitTx = db.transaction((id, secret, nowMs, policy) => this.admitNow(id, secret, nowMs, policy));
  }

  /**
   * A broker login (the authority's /auth/user): registers an unknown well-formed id (trust on
   * first use) or checks a known one's secret. One transaction, so two first logins of one id
   * cannot both register.
   */
  admit(id: string, secret: string, nowMs: number, policy: AdmitPolicy = DEFAULT_ADMIT_POLICY): AdmitResult {
    if (!CLIENT_ID_PATTERN.test(id)) return { ok: false, reason: 'malformed-id' };
    if (!SECRET_PATTERN.test(secret)) return { ok: false, reason: 'malformed-secret' };
    try {
      return this.admitTx.immediate(id, secret, nowMs, policy);
    } catch (err) {
      // PostgreSQL, two coordinators: both found no row and the other registered it first. Again, as a known id.
      if (!isUniqueViolation(err)) throw err;
      return this.admitTx.immediate(id, secret, nowMs, policy);
    }
  }

  private admitNow(id: string, secret: string, nowMs: number, policy: AdmitPolicy): AdmitResult {
    const row = this.sql.get.get(id);
    if (row) {
      if (row.revoked_ms !== null) return { ok: false, reason: 'revoked' };
      if (!timingSafeEqual(row.secret_sha256, sha256(secret))) return { ok: false, reason: 'wrong-secret' };
      if (row.name === null && row.created_ms < nowMs - policy.unboundTtlMs) {
        this.sql.deleteOne.run(id);
        return { ok: false, reason: 'expired' };
      }
      return { ok: true, identity: toIdentity(row), registered: false };
    }
    this.sql.expireUnbound.run(nowMs - policy.unboundTtlMs);
    if (this.countUnbound() >= policy.maxUnbound) return { ok: false, reason: 'too-many-unbound' };
    this.sql.insert.run(id, sha256(secret), nowMs);
    return { ok: true, identity: { id, name: null, nameKey: null, createdMs: nowMs, boundMs: null, revokedMs: null }, registered: true };
  }

  /** True when `secret` is this live (not revoked) id's secret. Registers nothing. */
  check(id: string, secret: string): boolean {
    if (!CLIENT_ID_PATTERN.test(id) || !SECRET_PATTERN.test(secret)) return false;
    const row = this.sql.get.get(id);
    return row !== undefined && row.revoked_ms === null && timingSafeEqual(row.secret_sha256, sha256(secret));
  }

  get(id: string): IdentityRecord | undefined {
    const row = this.sql.get.get(id);
    return row ? toIdentity(row) : undefined;
  }

  /**
   * Binds a live id to the chat name its session logged in with (again after a reconnect: same
   * name, no change). False when unknown, revoked, or bound to another name: one id, one name.
   */
  bind(id: string, name: string, nameKey: string, nowMs: number): boolean {
    return this.sql.bind.run(name, nameKey, nowMs, id, nameKey).changes === 1;
  }

  /** Refuses the id for good (its session ended). False when unknown or revoked already. */
  revoke(id: string, nowMs: number): boolean {
    return this.sql.revoke.run(nowMs, id).changes === 1;
  }

  /** Revokes every live id bound to this name; returns their ids (to close their broker connections). */
  revokeName(nameKey: string, nowMs: number): string[] {
    return this.sql.revokeName.all(nowMs, nameKey).map((row) => row.id);
  }

  /** Live ids bound to this name. */
  boundTo(nameKey: string): IdentityRecord[] {
    return this.sql.boundTo.all(nameKey).map(toIdentity);
  }

  /** Deletes unbound ids registered before `cutoffMs`; returns how many. */
  expireUnbound(cutoffMs: number): number {
    return this.sql.expireUnbound.run(cutoffMs).changes;
  }

  countUnbound(): number {
    return this.sql.countUnbound.get()?.n ?? 0;
  }

  /**
   * Forgets ids revoked before `cutoffMs`, to keep the table bounded. Only for a horizon far past
   * any reconnect: a forgotten id could be registered anew by whoever knows it (it would be
   * unbound, with no name and no rights but on its own queue).
   */
  pruneRevoked(cutoffMs: number): number {
    return this.sql.pruneRevoked.run(cutoffMs).changes;
  }
}
