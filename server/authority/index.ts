export { Authority, type AuthorityOptions, type AuthorityLogger } from './authority.js';
export { AuthorityPolicy, digest, type AuthorityPolicyOptions, type BindResult, type ConnectionCounts, type Decision } from './policy.js';
export { MemoryIdentityDirectory, allowedChange, type IdentityChange, type IdentityDirectory, type IdentityRecord, type IdentityState } from './directory.js';
export { AuthorityHttpServer, MAX_BODY_BYTES, type AuthPath, type AuthorityStats } from './http.js';
export { ConnectionTracker, type ConnectionTrackerOptions } from './connection-tracker.js';
export { isClientRoutingKey, isOwnClientQueue } from './permissions.js';
export { CoordinatorLogins, MemoryCoordinatorLogins, type CoordinatorLoginStore } from './coordinator-logins.js';
