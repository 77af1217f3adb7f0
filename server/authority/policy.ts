import { createHash, timingSafeEqual } from 'node:crypto';
import { isClientId, isClientSecret } from '../../shared/broker-identity.js';
import type { IdentityDirectory, IdentityRecord } from './directory.js';
import {
  clientResource,
  clientTopic,
  coordinatorResource,
  coordinatorTopic,
  legacyGuestResource,
  type ResourceAsk,
  type TopicAsk,
} from './permissions.js';

/** What the broker asks (rabbitmq_auth_backend_http's form fields, already parsed). */
export interface UserAsk {
  readonly username: string;
  readonly password: string;
}
export interface VhostAsk {
  readonly username: string;
  readonly vhost: string;
  /** The client's address, as the broker sends it with the vhost check. */
  readonly ip?: string;
}
export interface ResourceCheck extends ResourceAsk {
  readonly username: string;
  readonly vhost: string;
}
export interface TopicCheck extends TopicAsk {
  readonly username: string;
  readonly vhost: string;
}

/** `reason` is for the log and the tests; the broker only sees allow/deny. Tags only on /auth/user. */
export type Decision = { readonly allow: true; readonly tags: readonly string[]; readonly reason: string } | { readonly allow: false; readonly reason: string };

/** Live connections per broker user (server/authority/connection-tracker.ts). */
export interface ConnectionCounts {
  /** False until the event stream runs, and while it is down: the counts are then unknown. */
  readonly live: boolean;
  count(username: string): number;
  /** A connection allowed just now, counted until the broker reports it (or a few seconds pass). */
  reserve(username: string): void;
}

export interface AuthorityPolicyOptions {
  namespace: string;
  directory: IdentityDirectory;
  counts: ConnectionCounts;
  /** The coordinator's broker user and its per-start random password. */
  coordinator: { readonly username: string; readonly password: string };
  /**
   * The other live coordinators' passwords (several coordinators on one store,
   * coordinator-logins.ts): the coordinator user is let in with any of them. Absent = only ours.
   */
  coordinatorLogins?: { accepts(passwordDigest: Buffer): boolean };
  /** `guest`/`guest` on the legacy names only. */
  legacyGuest: boolean;
  /** The operator login for the management UI (`admin`, tags administrator management); absent = none. */
  admin?: { readonly username?: string; readonly password: string };
  /**
   * An identity for the management HTTP API only (tag `administrator`, no vhost, no resource):
   * the authority uses it to close the connections of a revoked id. Absent = none.
   */
  operator?: { readonly username: string; readonly password: string };
  /** The only vhost anyone may open. Default `/`. */
  vhost?: string;
  /** Live connections a client id may hold. Default 3. */
  maxConnectionsPerClient?: number;
  /** Live connections `guest` may hold in legacy mode (all legacy clients share it). Default 500. */
  maxGuestConnections?: number;
  /** Unbound ids at once (trust on first use is a door anyone can knock on): the last resort. Default 1000. */
  maxUnbound?: number;
  /**
   * Connected unbound ids from one client address (the `ip` of the vhost check). Past it the id is
   * refused and forgotten, so one machine minting ids cannot fill `maxUnbound`. Default 50.
   */
  maxUnboundPerAddress?: number;
  /** An unbound id with no live connection is forgotten this long after it registered (a login takes less). Default 30 s. */
  unboundTtlMs?: number;
  /** When `maxUnbound` is reached: unbound ids with no live connection older than this go at once. Default 5 s. */
  unboundGraceMs?: number;
  /** A revoked id is kept (refused) this long, then forgotten. Default 24 h. */
  revokedRetentionMs?: number;
  now?: () => number;
}

export type BindResult = 'bound' | 'already-bound' | 'unknown' | 'revoked' | 'bound-elsewhere';

const ADMIN_TAGS = ['administrator', 'management'] as const;
const OPERATOR_TAGS = ['administrator'] as const;
const GUEST = 'guest';

/** Every decision of the authority: pure over the directory, the counts and the options. */
export class AuthorityPolicy {
  readonly namespace: string;
  readonly coordinatorUser: string;
  private readonly directory: IdentityDirectory;
  private readonly counts: ConnectionCounts;
  private readonly coordinatorDigest: Buffer;
  private readonly coordinatorLogins: { accepts(passwordDigest: Buffer): boolean } | undefined;
  private readonly adminUser: string | undefined;
  private readonly adminDigest: Buffer | undefined;
  private readonly operatorUser: string | undefined;
  private readonly operatorDigest: Buffer | undefined;
  private readonly legacyGuest: boolean;
  private readonly vhost: string;
  private readonly maxConnectionsPerClient: number;
  private readonly maxGuestConnections: number;
  private readonly maxUnbound: number;
  private readonly maxUnboundPerAddress: number;
  private readonly unboundTtlMs: number;
  private readonly unboundGraceMs: number;
  /** Unbound ids by the address they connected from (pruned as they bind, go or disconnect). */
  private readonly unboundFrom = new Map<string, Set<string>>();
  private readonly revokedRetentionMs: number;
  private readonly now: () => number;

  constructor(options: AuthorityPolicyOptions) {
    const coordinatorUser = options.coordinator.username;
    const adminUser = options.admin ? (options.admin.username ?? 'admin') : undefined;
    const operatorUser = options.operator?.username;
    checkSpecialUsers(options, [coordinatorUser, adminUser, operatorUser]);
    this.namespace = options.namespace;
    this.coordinatorUser = coordinatorUser;
    this.directory = options.directory;
    this.counts = options.counts;
    this.coordinatorDigest = digest(options.coordinator.password);
    this.coordinatorLogins = options.coordinatorLogins;
    this.adminUser = adminUser;
    this.adminDigest = options.admin ? digest(options.admin.password) : undefined;
    this.operatorUser = operatorUser;
    this.operatorDigest = options.operator ? digest(options.operator.password) : undefined;
    this.legacyGuest = options.legacyGuest;
    this.vhost = options.vhost ?? '/';
    this.maxConnectionsPerClient = options.maxConnectionsPerClient ?? 3;
    this.maxGuestConnections = options.maxGuestConnections ?? 500;
    this.maxUnbound = options.maxUnbound ?? 1000;
    this.maxUnboundPerAddress = options.maxUnboundPerAddress ?? 50;
    this.unboundTtlMs = options.unboundTtlMs ?? 30_000;
    this.unboundGraceMs = options.unboundGraceMs ?? 5_000;
    this.revokedRetentionMs = options.revokedRetentionMs ?? 24 * 3_600_000;
    this.now = options.now ?? Date.now;
  }

  /** /auth/user: may this user log in with this password? */
  user(ask: UserAsk): Decision {
    const { username, password } = ask;
    if (username === this.coordinatorUser) return this.coordinatorLogin(password);
    if (this.adminUser !== undefined && username === this.adminUser && this.adminDigest) {
      return same(password, this.adminDigest) ? allow('admin', ADMIN_TAGS) : deny('admin: wrong password');
    }
    if (this.operatorUser !== undefined && username === this.operatorUser && this.operatorDigest) {
      return same(password, this.operatorDigest) ? allow('operator (management API only)', OPERATOR_TAGS) : deny('operator: wrong password');
    }
    if (username === GUEST) {
      if (!this.legacyGuest) return deny('guest: legacy mode is off');
      return password === GUEST ? allow('guest (legacy)') : deny('guest: wrong password');
    }
    if (!isClientId(username)) return deny('not a client id');
    if (!isClientSecret(password)) return deny('client: the secret is not of the minted form');
    const record = this.directory.get(username);
    if (record) return knownClient(record, password);
    if (this.directory.countUnbound() >= this.maxUnbound) this.sweep(Math.min(this.unboundGraceMs, this.unboundTtlMs));
    if (this.directory.countUnbound() >= this.maxUnbound) return deny('client: too many unbound ids');
    const now = this.now();
    if (this.directory.insert({ clientId: username, secretDigest: digest(password), state: 'unbound', name: null, createdAt: now, updatedAt: now })) {
      return allow('client: registered on first use');
    }
    // Another authority sharing the store registered (or revoked) it a moment ago: judge it as known.
    const registered = this.directory.get(username);
    return registered ? knownClient(registered, password) : deny('client: registered and forgotten at once');
  }

  /** Ours in constant time; another live coordinator's by its digest in the shared store (a 256-bit random password's sha256 leaks nothing by timing). */
  private coordinatorLogin(password: string): Decision {
    if (same(password, this.coordinatorDigest)) return allow('coordinator');
    if (this.coordinatorLogins?.accepts(digest(password))) return allow('coordinator (another instance)');
    return deny('coordinator: wrong password');
  }

  /** /auth/vhost: may this (already authenticated) user open the vhost? Also where the connection cap bites. */
  vhostAccess(ask: VhostAsk): Decision {
    if (ask.vhost !== this.vhost) return deny(`vhost ${JSON.stringify(ask.vhost)} is not warren's`);
    const kind = this.kindOf(ask.username);
    if (kind.kind === 'coordinator' || kind.kind === 'admin') return allow(kind.kind);
    if (kind.kind === 'guest') return this.capped(GUEST, this.maxGuestConnections);
    if (kind.kind === 'client') {
      if (kind.record.state === 'unbound' && ask.ip !== undefined && !this.admitUnboundFrom(ask.ip, ask.username)) {
        // Nothing connected holds this id yet: forget it, so the refused ids do not fill maxUnbound.
        if (!this.counts.live || this.counts.count(ask.username) === 0) this.directory.delete(ask.username);
        return deny(`client: too many unbound ids from ${ask.ip}`);
      }
      return this.capped(ask.username, this.maxConnectionsPerClient);
    }
    return deny(kind.kind === 'none' ? kind.reason : 'unknown user');
  }

  /**
   * Whether one more unbound id may connect from `ip`: counts the other unbound ids from there
   * that are connected (or about to be), dropping from the set those that bound, went or left.
   */
  private admitUnboundFrom(ip: string, clientId: string): boolean {
    const ids = this.unboundFrom.get(ip) ?? new Set<string>();
    let others = 0;
    for (const id of ids) {
      if (id === clientId) continue;
      const record = this.directory.get(id);
      if (!record || record.state !== 'unbound' || (this.counts.live && this.counts.count(id) === 0)) ids.delete(id);
      else others += 1;
    }
    if (others >= this.maxUnboundPerAddress) {
      if (ids.size === 0) this.unboundFrom.delete(ip);
      return false;
    }
    ids.add(clientId);
    this.unboundFrom.set(ip, ids);
    return true;
  }

  /** /auth/resource: configure, write or read on one queue or exchange. */
  resource(ask: ResourceCheck): Decision {
    if (ask.vhost !== this.vhost) return deny('other vhost');
    const kind = this.kindOf(ask.username);
    switch (kind.kind) {
      case 'coordinator':
        return verdict(coordinatorResource(this.namespace, this.legacyGuest, ask), 'coordinator');
      case 'admin':
        return allow('admin');
      case 'guest':
        return verdict(legacyGuestResource(ask), 'guest (legacy names only)');
      case 'client':
        return verdict(clientResource(this.namespace, ask.username, kind.record.state === 'bound', ask), `client (${kind.record.state})`);
      default:
        return deny(kind.reason);
    }
  }

  /** /auth/topic: a routing key on a topic exchange (binding = read, publishing = write). */
  topic(ask: TopicCheck): Decision {
    if (ask.vhost !== this.vhost) return deny('other vhost');
    const kind = this.kindOf(ask.username);
    switch (kind.kind) {
      case 'coordinator':
        return verdict(coordinatorTopic(this.namespace, ask), 'coordinator');
      case 'admin':
        return allow('admin');
      case 'client':
        return verdict(clientTopic(this.namespace, kind.record.state === 'bound', ask), `client (${kind.record.state})`);
      case 'guest':
        return deny('guest: the legacy exchanges are not topic exchanges');
      default:
        return deny(kind.reason);
    }
  }

  /** The coordinator, at login: this id now speaks for `name` (and may read the events it is bound to). */
  bind(clientId: string, name: string): BindResult {
    const record = this.directory.get(clientId);
    const now = bindResultOf(record, name);
    if (now !== 'bound') return now;
    if (this.directory.update(clientId, { state: 'bound', name, updatedAt: this.now() })) return 'bound';
    // Changed by another authority between the read and the write (revoked, or bound): as it is now.
    const after = bindResultOf(this.directory.get(clientId), name);
    return after === 'bound' ? 'unknown' : after;
  }

  /**
   * The coordinator, when a session ends: the id is refused from now on, for logins and for every
   * check the broker has not cached yet. An id never seen is recorded as revoked too.
   */
  revoke(clientId: string): void {
    const now = this.now();
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const record = this.directory.get(clientId);
      // A record deleted between the read and the write (a sweep) is inserted revoked on the next turn.
      if (record && this.directory.update(clientId, { state: 'revoked', name: record.name, updatedAt: now })) return;
      if (record) continue;
      if (!isClientId(clientId)) return;
      // False only when another authority registered the id just now: revoke that record.
      if (this.directory.insert({ clientId, secretDigest: Buffer.alloc(32), state: 'revoked', name: null, createdAt: now, updatedAt: now })) return;
    }
  }

  identity(clientId: string): IdentityRecord | undefined {
    return this.directory.get(clientId);
  }

  /** Forgets unbound ids older than `unboundAgeMs` (default the TTL) and not connected, and revoked ids past retention. */
  sweep(unboundAgeMs = this.unboundTtlMs): { unbound: number; revoked: number } {
    const now = this.now();
    let unbound = 0;
    for (const [ip, ids] of this.unboundFrom) if ([...ids].every((id) => this.directory.get(id)?.state !== 'unbound')) this.unboundFrom.delete(ip);
    for (const id of this.directory.unboundCreatedBefore(now - unboundAgeMs)) {
      if (this.counts.live && this.counts.count(id) > 0) continue;
      this.directory.delete(id);
      unbound += 1;
    }
    const revoked = this.directory.deleteRevokedBefore(now - this.revokedRetentionMs);
    return { unbound, revoked };
  }

  private capped(username: string, cap: number): Decision {
    if (!this.counts.live) return deny('connection counts unknown (event stream not running)');
    const count = this.counts.count(username);
    if (count >= cap) return deny(`connection cap: ${count} of ${cap}`);
    this.counts.reserve(username);
    return allow(`connection ${count + 1} of ${cap}`);
  }

  private kindOf(username: string):
    | { kind: 'coordinator' | 'admin' | 'guest' }
    | { kind: 'client'; record: IdentityRecord }
    | { kind: 'none'; reason: string } {
    if (username === this.coordinatorUser) return { kind: 'coordinator' };
    if (this.adminUser !== undefined && username === this.adminUser) return { kind: 'admin' };
    if (this.operatorUser !== undefined && username === this.operatorUser) return { kind: 'none', reason: 'operator: management API only' };
    if (username === GUEST) return this.legacyGuest ? { kind: 'guest' } : { kind: 'none', reason: 'guest: legacy mode is off' };
    if (!isClientId(username)) return { kind: 'none', reason: 'unknown user' };
    const record = this.directory.get(username);
    if (!record) return { kind: 'none', reason: 'client: unknown id' };
    if (record.state === 'revoked') return { kind: 'none', reason: 'client: revoked' };
    return { kind: 'client', record };
  }
}

/** The coordinator, admin and operator: distinct, never taken for a client id or guest, with long passwords. */
function checkSpecialUsers(options: AuthorityPolicyOptions, users: readonly (string | undefined)[]): void {
  const named = users.filter((user): user is string => user !== undefined);
  for (const user of named) {
    if (user === '' || user === GUEST || isClientId(user)) throw new Error(`the user name ${JSON.stringify(user)} would clash with a client id or guest`);
  }
  if (new Set(named).size !== named.length) throw new Error('the admin, operator and coordinator users must differ');
  if (options.coordinator.password.length < 16) throw new Error('the coordinator password must be at least 16 characters');
  if (options.operator && options.operator.password.length < 16) throw new Error('the operator password must be at least 16 characters');
  if (options.admin && options.admin.password.length < 12) throw new Error('the admin password must be at least 12 characters');
}

/** A known id's login: refused for good once revoked, else its secret decides. */
function knownClient(record: IdentityRecord, password: string): Decision {
  if (record.state === 'revoked') return deny('client: revoked');
  return same(password, record.secretDigest) ? allow(`client: ${record.state}`) : deny('client: wrong secret');
}

/** What binding `name` to this record would give; `bound` when the change is allowed. */
function bindResultOf(record: IdentityRecord | undefined, name: string): BindResult {
  if (!record) return 'unknown';
  if (record.state === 'revoked') return 'revoked';
  if (record.state === 'bound') return record.name === name ? 'already-bound' : 'bound-elsewhere';
  return 'bound';
}

export function digest(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** Constant time over the digests, so neither the length nor a prefix of a secret leaks. */
function same(password: string, expected: Buffer): boolean {
  return timingSafeEqual(digest(password), expected);
}

function allow(reason: string, tags: readonly string[] = []): Decision {
  return { allow: true, tags, reason };
}

function deny(reason: string): Decision {
  return { allow: false, reason };
}

function verdict(allowed: boolean, who: string): Decision {
  return allowed ? allow(who) : deny(`${who}: not permitted`);
}
