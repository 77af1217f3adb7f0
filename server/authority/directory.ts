/**
 * The store of client identities the authority decides on. Synchronous on purpose: every broker
 * check reads it, and better-sqlite3 (the persistent implementation a later change adds, so a
 * coordinator restart keeps clients working) is synchronous too.
 */

export type IdentityState = 'unbound' | 'bound' | 'revoked';

export interface IdentityRecord {
  readonly clientId: string;
  /** sha256 of the client's secret: the secret itself is never stored. */
  readonly secretDigest: Buffer;
  readonly state: IdentityState;
  /** The chat name the coordinator bound the id to; null while unbound. Kept on revocation, for the log. */
  readonly name: string | null;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface IdentityDirectory {
  get(clientId: string): IdentityRecord | undefined;
  /** Adds a record; a record with that id must not exist. */
  insert(record: IdentityRecord): void;
  /** Replaces the state, name and time of an existing record; unknown ids are ignored. */
  update(clientId: string, change: { state: IdentityState; name: string | null; updatedAt: number }): void;
  delete(clientId: string): void;
  countUnbound(): number;
  /** Ids of unbound records created before `createdBefore`, oldest first. */
  unboundCreatedBefore(createdBefore: number): string[];
  /** Removes revoked records last changed before `updatedBefore`; returns how many. */
  deleteRevokedBefore(updatedBefore: number): number;
  close(): void;
}

/** The directory kept in memory: identities are lost with the process. */
export class MemoryIdentityDirectory implements IdentityDirectory {
  private readonly records = new Map<string, IdentityRecord>();
  private unbound = 0;

  get(clientId: string): IdentityRecord | undefined {
    return this.records.get(clientId);
  }

  insert(record: IdentityRecord): void {
    if (this.records.has(record.clientId)) throw new Error(`identity ${record.clientId} exists`);
    this.records.set(record.clientId, record);
    if (record.state === 'unbound') this.unbound += 1;
  }

  update(clientId: string, change: { state: IdentityState; name: string | null; updatedAt: number }): void {
    const record = this.records.get(clientId);
    if (!record) return;
    this.unbound += (change.state === 'unbound' ? 1 : 0) - (record.state === 'unbound' ? 1 : 0);
    this.records.set(clientId, { ...record, ...change });
  }

  delete(clientId: string): void {
    const record = this.records.get(clientId);
    if (!record) return;
    if (record.state === 'unbound') this.unbound -= 1;
    this.records.delete(clientId);
  }

  countUnbound(): number {
    return this.unbound;
  }

  unboundCreatedBefore(createdBefore: number): string[] {
    return [...this.records.values()]
      .filter((record) => record.state === 'unbound' && record.createdAt < createdBefore)
      .sort((a, b) => a.createdAt - b.createdAt)
      .map((record) => record.clientId);
  }

  deleteRevokedBefore(updatedBefore: number): number {
    let removed = 0;
    for (const record of [...this.records.values()]) {
      if (record.state === 'revoked' && record.updatedAt < updatedBefore) {
        this.records.delete(record.clientId);
        removed += 1;
      }
    }
    return removed;
  }

  close(): void {
    this.records.clear();
    this.unbound = 0;
  }
}
