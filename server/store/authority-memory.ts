import { MemoryCoordinatorLogins, MemoryIdentityDirectory, type CoordinatorLoginStore, type IdentityDirectory } from '../authority/index.js';
import { SqlCoordinatorLogins } from './coordinator-login-store.js';
import { SqlIdentityDirectory } from './identity-directory.js';
import { SqlStore } from './sql-store.js';
import type { Store } from './store.js';

/**
 * Where the authority keeps identities and coordinator logins: in the SQL store's tables, so a
 * restart keeps clients working and several coordinators sharing the store let each other in; in
 * memory for any other store.
 */
export function authorityMemory(store: Store): { directory: IdentityDirectory; coordinatorLogins: CoordinatorLoginStore } {
  if (store instanceof SqlStore) return { directory: new SqlIdentityDirectory(store.database), coordinatorLogins: new SqlCoordinatorLogins(store.database) };
  return { directory: new MemoryIdentityDirectory(), coordinatorLogins: new MemoryCoordinatorLogins() };
}
