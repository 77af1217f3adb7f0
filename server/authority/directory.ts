/**
 * The store of client identities the authority decides on. Synchronous on purpose: every broker
 * check reads it, and the store's implementation (server/store/identity-directory.ts, so a
 * coordinator restart keeps clients working and several coordinators' authorities agree) is
 * synchronous too. No implementation may keep a copy that another authority's write leaves stale.
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

export interface IdentityChange {
  state: IdentityState;
  name: string | null;
  updatedAt: number;
}

/**
 * Several authorities may share one directory (several coordinators on one store): a write that
 * raced another authority's says so by its result, and the caller reads the record again.
 */
export interface IdentityDirectory {
  get(clientId: string): IdentityRecord | undefined;
  /** Adds a record; false (and nothing changed) when a record with that id exists already. */
  insert(record: IdentityRecord): boolean;
  /**
   * Replaces the state, name and time of an existing record, where the change is allowed from the
   * state it has now (`allowedChange`): false when the id is unknown or the change is not allowed.
   */
  update(clientId: string, change: IdentityChange): boolean;
  delete(clientId: string): void;
  countUnbound(): number;
  /** Ids of unbound records created before `createdBefore`, oldest first. */
  unboundCreatedBefore(createdBefore: number): string[];
  /** Removes revoked records last changed before `updatedBefore`; returns how many. */
  deleteRevokedBefore(updatedBefore: number): number;
  close(): void;
}

/**
 * Revocation is final (revoked again only refreshes it); an id is bound once, to one name (bound
 * again to that name is allowed); only an unbound id is unbound.
 */
export function allowedChange(from: IdentityRecord, change: IdentityChange): boolean {
  if (change.state === 'revoked') return true;
  if (from.state === 'revoked') return false;
  if (change.state === 'bound') return from.state === 'unbound' || from.name === change.name;
  return from.state === 'unbound';
}

/** The directory kept in memory: identities are lost with the process. */
export class MemoryIdentityDirectory implements IdentityDirectory {
  private readonly records = new Map<string, IdentityRecord>();
  private unbound = 0;

  get(clientId: string): IdentityRecord | undefined {
    return this.records.get(clientId);
  }

  insert(record: IdentityRecord): boolean {
    if (this.records.has(record.clientId)) return false;
    this.records.set(record.clientId, record);
    if (record.state === 'unbound') this.unbound += 1;
    return true;
  }

  update(clientId: string, change: IdentityChange): boolean {
    const record = this.records.get(clientId);
    if (!record || !allowedChange(record, change)) return false;
    this.unbound += (change.state === 'unbound' ? 1 : 0) - (record.state === 'unbound' ? 1 : 0);
    this.records.set(clientId, { ...record, ...change });
    return true;
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
