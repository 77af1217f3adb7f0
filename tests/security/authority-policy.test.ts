import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mintClientCredentials } from '../../shared/broker-identity.js';
import { AuthorityPolicy, type AuthorityPolicyOptions, type ConnectionCounts } from '../../server/authority/policy.js';
import { MemoryIdentityDirectory } from '../../server/authority/directory.js';
import { clientResource, coordinatorResource, isClientRoutingKey, isOwnClientQueue, type ResourceAsk } from '../../server/authority/permissions.js';

const NS = 'pol';
const COORD = { username: 'warren-coordinator', password: 'c'.repeat(43) };

class Counts implements ConnectionCounts {
  live = true;
  readonly n = new Map<string, number>();
  count(user: string): number {
    return this.n.get(user) ?? 0;
  }
  reserve(user: string): void {
    this.n.set(user, this.count(user) + 1);
  }
}

function setup(extra: Partial<AuthorityPolicyOptions> = {}): { policy: AuthorityPolicy; counts: Counts; clock: { t: number } } {
  const counts = new Counts();
  const clock = { t: 1_000_000 };
  const policy = new AuthorityPolicy({
    namespace: NS,
    directory: new MemoryIdentityDirectory(),
    counts,
    coordinator: COORD,
    legacyGuest: false,
    now: () => clock.t,
    ...extra,
  });
  return { policy, counts, clock };
}

const res = (username: string, resource: 'queue' | 'exchange', name: string, permission: 'configure' | 'write' | 'read') => ({ username, vhost: '/', resource, name, permission });
const topic = (username: string, name: string, routingKey: string, permission: 'read' | 'write' = 'read') => ({ username, vhost: '/', resource: 'topic' as const, name, permission, routingKey });

describe('authority policy: refusals first', () => {
  it('refuses users that are not a client id, the coordinator, an enabled guest or admin', () => {
    const { policy } = setup();
    for (const username of ['', 'alice', 'c-short', 'c-' + 'a'.repeat(23), 'C-' + 'a'.repeat(22), 'admin', 'guest', 'c-' + 'a'.repeat(21) + '!']) {
      expect(policy.user({ username, password: 'x'.repeat(43) }).allow).toBe(false);
    }
  });

  it('refuses a secret that is not of the minted form, and never registers it', () => {
    const { policy } = setup();
    const { clientId } = mintClientCredentials();
    for (const password of ['', 'guest', 'x'.repeat(42), 'x'.repeat(44), '+'.repeat(43)]) {
      expect(policy.user({ username: clientId, password }).allow).toBe(false);
    }
    expect(policy.identity(clientId)).toBeUndefined();
  });

  it('refuses the coordinator with a wrong password, and guest while legacy mode is off', () => {
    const { policy } = setup();
    expect(policy.user({ username: COORD.username, password: 'd'.repeat(43) }).allow).toBe(false);
    expect(policy.user({ username: 'guest', password: 'guest' }).allow).toBe(false);
    expect(policy.resource(res('guest', 'exchange', 'broadcast', 'read')).allow).toBe(false);
  });

  it('rejects configurations where a special user would clash with a client id or guest', () => {
    const { clientId } = mintClientCredentials();
    expect(() => setup({ coordinator: { username: clientId, password: COORD.password } })).toThrow();
    expect(() => setup({ coordinator: { username: 'guest', password: COORD.password } })).toThrow();
    expect(() => setup({ coordinator: { username: 'x', password: 'short' } })).toThrow();
    expect(() => setup({ admin: { username: COORD.username, password: 'p'.repeat(20) } })).toThrow();
  });

  it('refuses other vhosts for everyone', () => {
    const { policy } = setup();
    expect(policy.vhostAccess({ username: COORD.username, vhost: 'other' }).allow).toBe(false);
    expect(policy.resource({ ...res(COORD.username, 'queue', `${NS}.chat`, 'read'), vhost: 'other' }).allow).toBe(false);
  });
});

describe('authority policy: client ids', () => {
  it('registers on first use, then demands the same secret; a revoked id is refused for good', () => {
    const { policy } = setup();
    const me = mintClientCredentials();
    expect(policy.user({ username: me.clientId, password: me.secret })).toMatchObject({ allow: true });
    expect(policy.identity(me.clientId)?.state).toBe('unbound');
    expect(policy.user({ username: me.clientId, password: me.secret }).allow).toBe(true);
    expect(policy.user({ username: me.clientId, password: mintClientCredentials().secret }).allow).toBe(false);
    expect(policy.bind(me.clientId, 'alice')).toBe('bound');
    expect(policy.bind(me.clientId, 'alice')).toBe('already-bound');
    expect(policy.bind(me.clientId, 'bob')).toBe('bound-elsewhere');
    policy.revoke(me.clientId);
    expect(policy.user({ username: me.clientId, password: me.secret }).allow).toBe(false);
    expect(policy.resource(res(me.clientId, 'queue', `${NS}.client.${me.clientId}`, 'read')).allow).toBe(false);
    expect(policy.vhostAccess({ username: me.clientId, vhost: '/' }).allow).toBe(false);
    expect(policy.bind(me.clientId, 'alice')).toBe('revoked');
  });

  it('revoking an id never seen keeps it from ever registering', () => {
    const { policy } = setup();
    const me = mintClientCredentials();
    policy.revoke(me.clientId);
    expect(policy.user({ username: me.clientId, password: me.secret }).allow).toBe(false);
    expect(policy.bind(mintClientCredentials().clientId, 'x')).toBe('unknown');
  });

  it('caps unbound ids; old unconnected ones expire and make room, connected ones stay', () => {
    const { policy, counts, clock } = setup({ maxUnbound: 2, unboundTtlMs: 1000 });
    const [a, b, c] = [mintClientCredentials(), mintClientCredentials(), mintClientCredentials()];
    expect(policy.user({ username: a.clientId, password: a.secret }).allow).toBe(true);
    expect(policy.user({ username: b.clientId, password: b.secret }).allow).toBe(true);
    expect(policy.user({ username: c.clientId, password: c.secret }).allow).toBe(false);
    counts.n.set(a.clientId, 1);
    clock.t += 1001;
    expect(policy.user({ username: c.clientId, password: c.secret }).allow).toBe(true);
    expect(policy.identity(a.clientId)).toBeDefined();
    expect(policy.identity(b.clientId)).toBeUndefined();
  });

  it('at the cap, unbound ids with nothing open go after a short grace, not the whole TTL', () => {
    const { policy, clock } = setup({ maxUnbound: 2, unboundTtlMs: 30_000, unboundGraceMs: 5_000 });
    const [a, b, c] = [mintClientCredentials(), mintClientCredentials(), mintClientCredentials()];
    policy.user({ username: a.clientId, password: a.secret });
    policy.user({ username: b.clientId, password: b.secret });
    expect(policy.user({ username: c.clientId, password: c.secret }).allow).toBe(false);
    clock.t += 5_001;
    expect(policy.user({ username: c.clientId, password: c.secret }).allow).toBe(true);
  });

  it('caps connected unbound ids per address; a refused id is forgotten; bound or disconnected ones make room', () => {
    const { policy, counts } = setup({ maxUnboundPerAddress: 2 });
    const ids = [mintClientCredentials(), mintClientCredentials(), mintClientCredentials()];
    for (const id of ids) expect(policy.user({ username: id.clientId, password: id.secret }).allow).toBe(true);
    const [a, b, c] = ids as [ReturnType<typeof mintClientCredentials>, ReturnType<typeof mintClientCredentials>, ReturnType<typeof mintClientCredentials>];
    expect(policy.vhostAccess({ username: a.clientId, vhost: '/', ip: '10.0.0.9' }).allow).toBe(true);
    expect(policy.vhostAccess({ username: b.clientId, vhost: '/', ip: '10.0.0.9' }).allow).toBe(true);
    const refused = policy.vhostAccess({ username: c.clientId, vhost: '/', ip: '10.0.0.9' });
    expect(refused).toMatchObject({ allow: false, reason: expect.stringContaining('10.0.0.9') });
    expect(policy.identity(c.clientId)).toBeUndefined();
    // Another address is not affected; a second connection of a counted id is not a new id.
    const d = mintClientCredentials();
    policy.user({ username: d.clientId, password: d.secret });
    expect(policy.vhostAccess({ username: d.clientId, vhost: '/', ip: '10.0.0.10' }).allow).toBe(true);
    expect(policy.vhostAccess({ username: a.clientId, vhost: '/', ip: '10.0.0.9' }).allow).toBe(true);
    // a logs in (bound), b disconnects: room for two more from 10.0.0.9.
    expect(policy.bind(a.clientId, 'alice')).toBe('bound');
    counts.n.set(b.clientId, 0);
    for (const id of [mintClientCredentials(), mintClientCredentials()]) {
      policy.user({ username: id.clientId, password: id.secret });
      expect(policy.vhostAccess({ username: id.clientId, vhost: '/', ip: '10.0.0.9' }).allow).toBe(true);
    }
  });

  it('forgets revoked ids after the retention', () => {
    const { policy, clock } = setup({ revokedRetentionMs: 1000 });
    const me = mintClientCredentials();
    policy.user({ username: me.clientId, password: me.secret });
    policy.revoke(me.clientId);
    clock.t += 500;
    expect(policy.sweep().revoked).toBe(0);
    clock.t += 501;
    expect(policy.sweep().revoked).toBe(1);
  });

  it('caps live connections per id, and refuses while counts are unknown', () => {
    const { policy, counts } = setup({ maxConnectionsPerClient: 2 });
    const me = mintClientCredentials();
    policy.user({ username: me.clientId, password: me.secret });
    expect(policy.vhostAccess({ username: me.clientId, vhost: '/' }).allow).toBe(true);
    expect(policy.vhostAccess({ username: me.clientId, vhost: '/' }).allow).toBe(true);
    expect(policy.vhostAccess({ username: me.clientId, vhost: '/' })).toMatchObject({ allow: false, reason: expect.stringContaining('cap') });
    counts.n.clear();
    counts.live = false;
    expect(policy.vhostAccess({ username: me.clientId, vhost: '/' }).allow).toBe(false);
    // The coordinator is never capped nor blocked by the event stream: it is what restarts the stream.
    expect(policy.vhostAccess({ username: COORD.username, vhost: '/' }).allow).toBe(true);
  });

  it('resources: only its own queue (no suffix queues), write on the input exchange, read on events once bound', () => {
    const { policy } = setup();
    const me = mintClientCredentials();
    const other = mintClientCredentials();
    policy.user({ username: me.clientId, password: me.secret });
    const id = me.clientId;
    const allowed = (r: ReturnType<typeof res>) => policy.resource(r).allow;
    for (const p of ['configure', 'write', 'read'] as const) {
      expect(allowed(res(id, 'queue', `${NS}.client.${id}`, p))).toBe(true);
      for (const q of [`${NS}.client.${id}.rooms`, `${NS}.client.${id}.hoard0`, `${NS}.client.${other.clientId}`, `${NS}.chat`, `${NS}.commands`, `${NS}.dead-letter`, `${NS}.client.${id}x`, `${NS}.client.${id}.`, `${NS}.client.${id}.a.b`, 'amq.gen-abc', 'server_pending_messages', `other.client.${id}`]) {
        expect(allowed(res(id, 'queue', q, p))).toBe(false);
      }
      for (const x of ['amq.default', `${NS}.dead-letter`, 'amq.topic', 'broadcast', 'user_channel', 'amq.rabbitmq.event']) {
        expect(allowed(res(id, 'exchange', x, p))).toBe(false);
      }
    }
    expect(allowed(res(id, 'exchange', `${NS}.input`, 'write'))).toBe(true);
    expect(allowed(res(id, 'exchange', `${NS}.input`, 'read'))).toBe(false);
    expect(allowed(res(id, 'exchange', `${NS}.input`, 'configure'))).toBe(false);
    expect(allowed(res(id, 'exchange', `${NS}.events`, 'read'))).toBe(false);
    expect(allowed(res(id, 'exchange', `${NS}.events`, 'write'))).toBe(false);
    policy.bind(id, 'alice');
    expect(allowed(res(id, 'exchange', `${NS}.events`, 'read'))).toBe(true);
    expect(allowed(res(id, 'exchange', `${NS}.events`, 'write'))).toBe(false);
    expect(allowed(res(id, 'exchange', `${NS}.events`, 'configure'))).toBe(false);
  });

  it('topics: presence and room.<valid room> on the events exchange, read, bound only', () => {
    const { policy } = setup();
    const me = mintClientCredentials();
    policy.user({ username: me.clientId, password: me.secret });
    const id = me.clientId;
    expect(policy.topic(topic(id, `${NS}.events`, 'presence')).allow).toBe(false);
    policy.bind(id, 'alice');
    expect(policy.topic(topic(id, `${NS}.events`, 'presence')).allow).toBe(true);
    expect(policy.topic(topic(id, `${NS}.events`, 'room.general')).allow).toBe(true);
    for (const key of ['#', '*', 'room.*', 'room.#', '*.general', 'room.', 'room.General', 'room.#general', 'room.a.b', 'room.dm:alice:bob', 'presence.x', 'x', '', `room.${'a'.repeat(33)}`]) {
      expect(policy.topic(topic(id, `${NS}.events`, key)).allow).toBe(false);
    }
    expect(policy.topic(topic(id, `${NS}.events`, 'presence', 'write')).allow).toBe(false);
    expect(policy.topic(topic(id, 'amq.topic', 'presence')).allow).toBe(false);
    expect(policy.topic(topic(id, 'other.events', 'presence')).allow).toBe(false);
  });

  it('key and queue helpers', () => {
    expect(isClientRoutingKey('room.a_b-1')).toBe(true);
    expect(isClientRoutingKey('room.-a')).toBe(false);
    expect(isOwnClientQueue('ns', 'c-x', 'ns.client.c-x')).toBe(true);
    expect(isOwnClientQueue('ns', 'c-x', 'ns.client.c-xy')).toBe(false);
    expect(isOwnClientQueue('ns', 'c-x', 'ns.client.c-x.rooms')).toBe(false);
  });
});

describe('authority policy: coordinator, legacy guest, admin', () => {
  it('the coordinator: its namespace, write on amq.default, read on the event exchange; nothing else', () => {
    const { policy } = setup();
    const u = COORD.username;
    expect(policy.user(COORD)).toMatchObject({ allow: true, tags: [] });
    expect(policy.resource(res(u, 'queue', `${NS}.chat`, 'read')).allow).toBe(true);
    expect(policy.resource(res(u, 'exchange', `${NS}.events`, 'write')).allow).toBe(true);
    expect(policy.resource(res(u, 'exchange', 'amq.default', 'write')).allow).toBe(true);
    expect(policy.resource(res(u, 'exchange', 'amq.default', 'configure')).allow).toBe(false);
    expect(policy.resource(res(u, 'exchange', 'amq.rabbitmq.event', 'read')).allow).toBe(true);
    expect(policy.resource(res(u, 'queue', 'other.chat', 'read')).allow).toBe(false);
    expect(policy.resource(res(u, 'queue', 'server_pending_messages', 'read')).allow).toBe(false);
    expect(policy.topic(topic(u, `${NS}.events`, '#', 'write')).allow).toBe(true);
    expect(policy.topic(topic(u, 'amq.rabbitmq.event', 'connection.*')).allow).toBe(true);
    expect(policy.topic(topic(u, 'other.events', 'presence', 'write')).allow).toBe(false);
  });

  it('legacy guest: the Actividad 2 names only', () => {
    const { policy } = setup({ legacyGuest: true });
    expect(policy.user({ username: 'guest', password: 'guest' }).allow).toBe(true);
    expect(policy.user({ username: 'guest', password: 'nope' }).allow).toBe(false);
    expect(policy.vhostAccess({ username: 'guest', vhost: '/' }).allow).toBe(true);
    const g = (resource: 'queue' | 'exchange', name: string, p: 'configure' | 'write' | 'read') => policy.resource(res('guest', resource, name, p)).allow;
    const uuid = '2b1f6c8e-4a0d-4c61-9a55-0f8f4a4b9d10';
    expect(['configure', 'write', 'read'].every((p) => g('queue', uuid, p as 'read'))).toBe(true);
    expect(g('queue', 'amq.gen-AbC_d-9', 'configure')).toBe(true);
    expect(g('exchange', 'broadcast', 'configure')).toBe(true);
    expect(g('exchange', 'broadcast', 'read')).toBe(true);
    expect(g('exchange', 'broadcast', 'write')).toBe(false);
    expect(g('exchange', 'user_channel', 'read')).toBe(true);
    expect(g('exchange', 'user_channel', 'write')).toBe(false);
    expect(g('exchange', 'amq.default', 'write')).toBe(true);
    expect(g('queue', 'server_pending_messages', 'read')).toBe(false);
    expect(g('queue', 'server_pending_messages', 'configure')).toBe(false);
    for (const name of [`${NS}.chat`, `${NS}.commands`, `${NS}.client.c-x`, `${NS}.dead-letter`]) {
      expect(g('queue', name, 'read') || g('queue', name, 'configure') || g('queue', name, 'write')).toBe(false);
    }
    for (const name of [`${NS}.events`, `${NS}.input`, `${NS}.dead-letter`]) {
      expect(g('exchange', name, 'read') || g('exchange', name, 'write') || g('exchange', name, 'configure')).toBe(false);
    }
    expect(policy.topic(topic('guest', `${NS}.events`, 'presence')).allow).toBe(false);
    // The coordinator gets the legacy names only in legacy mode.
    expect(policy.resource(res(COORD.username, 'queue', 'server_pending_messages', 'read')).allow).toBe(true);
  });

  it('the operator identity: management API login only, nothing over AMQP', () => {
    const { policy } = setup({ operator: { username: 'warren-authority', password: 'o'.repeat(20) } });
    expect(policy.user({ username: 'warren-authority', password: 'o'.repeat(20) })).toMatchObject({ allow: true, tags: ['administrator'] });
    expect(policy.user({ username: 'warren-authority', password: 'x'.repeat(20) }).allow).toBe(false);
    expect(policy.vhostAccess({ username: 'warren-authority', vhost: '/' }).allow).toBe(false);
    expect(policy.resource(res('warren-authority', 'queue', `${NS}.chat`, 'read')).allow).toBe(false);
    expect(() => setup({ operator: { username: COORD.username, password: 'o'.repeat(20) } })).toThrow();
  });

  it('admin: only when configured, with the management tags', () => {
    const { policy } = setup({ admin: { password: 'operator-pass-1' } });
    expect(policy.user({ username: 'admin', password: 'operator-pass-1' })).toMatchObject({ allow: true, tags: ['administrator', 'management'] });
    expect(policy.user({ username: 'admin', password: 'operator-pass-2' }).allow).toBe(false);
  });
});

describe('authority policy: two authorities on one directory (several coordinators)', () => {
  /** Two policies over one directory: each coordinator's authority, sharing the store. */
  function pair(): { a: AuthorityPolicy; b: AuthorityPolicy; directory: MemoryIdentityDirectory } {
    const directory = new MemoryIdentityDirectory();
    const a = setup({ directory }).policy;
    const b = setup({ directory, coordinator: { username: COORD.username, password: 'e'.repeat(43) } }).policy;
    return { a, b, directory };
  }

  it("refuses the coordinator with another's password unless the shared logins accept it", () => {
    const other = 'o'.repeat(43);
    const accepted = new Set([digestHex(other)]);
    const { policy } = setup({ coordinatorLogins: { accepts: (d) => accepted.has(d.toString('hex')) } });
    expect(policy.user({ username: COORD.username, password: 'f'.repeat(43) }).allow).toBe(false);
    expect(policy.user({ username: COORD.username, password: '' }).allow).toBe(false);
    expect(policy.user({ username: COORD.username, password: other })).toMatchObject({ allow: true, reason: 'coordinator (another instance)' });
    expect(policy.user({ username: COORD.username, password: COORD.password })).toMatchObject({ allow: true, reason: 'coordinator' });
    accepted.clear();
    expect(policy.user({ username: COORD.username, password: other }).allow).toBe(false);
  });

  it('an id revoked by one is refused by the other: login, resources, topics, and a late bind', () => {
    const { a, b } = pair();
    const me = mintClientCredentials();
    expect(a.user({ username: me.clientId, password: me.secret }).allow).toBe(true);
    expect(b.bind(me.clientId, 'alice')).toBe('bound');
    expect(a.topic(topic(me.clientId, `${NS}.events`, 'room.general')).allow).toBe(true);
    a.revoke(me.clientId);
    expect(b.user({ username: me.clientId, password: me.secret }).allow).toBe(false);
    expect(b.resource(res(me.clientId, 'queue', `${NS}.client.${me.clientId}`, 'read')).allow).toBe(false);
    expect(b.topic(topic(me.clientId, `${NS}.events`, 'room.general')).allow).toBe(false);
    expect(b.bind(me.clientId, 'alice')).toBe('revoked');
  });

  it("a bind racing another's revocation or binding loses to it, as the record now is", () => {
    const directory = new MemoryIdentityDirectory();
    const me = mintClientCredentials();
    let raced: () => void = () => undefined;
    // The other authority writes between this one's read and its write.
    const racing: MemoryIdentityDirectory = Object.assign(Object.create(directory) as MemoryIdentityDirectory, {
      update: (id: string, change: Parameters<MemoryIdentityDirectory['update']>[1]) => {
        raced();
        raced = () => undefined;
        return directory.update(id, change);
      },
    });
    const { policy } = setup({ directory: racing });
    const other = setup({ directory }).policy;
    expect(policy.user({ username: me.clientId, password: me.secret }).allow).toBe(true);
    raced = () => other.revoke(me.clientId);
    expect(policy.bind(me.clientId, 'alice')).toBe('revoked');
    const you = mintClientCredentials();
    expect(policy.user({ username: you.clientId, password: you.secret }).allow).toBe(true);
    raced = () => other.bind(you.clientId, 'mallory');
    expect(policy.bind(you.clientId, 'bob')).toBe('bound-elsewhere');
    expect(policy.identity(you.clientId)).toMatchObject({ state: 'bound', name: 'mallory' });
  });

  it("a first login racing the other's registration of the same id is judged as known (the other's secret decides)", () => {
    const directory = new MemoryIdentityDirectory();
    const me = mintClientCredentials();
    const impostor = mintClientCredentials();
    const other = setup({ directory }).policy;
    let raced: () => void = () => undefined;
    const racing: MemoryIdentityDirectory = Object.assign(Object.create(directory) as MemoryIdentityDirectory, {
      insert: (record: Parameters<MemoryIdentityDirectory['insert']>[0]) => {
        raced();
        raced = () => undefined;
        return directory.insert(record);
      },
    });
    const { policy } = setup({ directory: racing });
    raced = () => other.user({ username: me.clientId, password: me.secret });
    expect(policy.user({ username: me.clientId, password: impostor.secret })).toMatchObject({ allow: false, reason: 'client: wrong secret' });
    const second = mintClientCredentials();
    raced = () => other.user({ username: second.clientId, password: second.secret });
    expect(policy.user({ username: second.clientId, password: second.secret }).allow).toBe(true);
  });
});

function digestHex(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

describe('names only coordinators use with several partitions (shared/input-partitions.ts)', () => {
  const ns = 'warren';
  const id = 'c'.repeat(32);
  const coordinatorOnly: ResourceAsk[] = (['configure', 'write', 'read'] as const).flatMap((permission) => [
    { resource: 'queue' as const, name: `${ns}.chat.1`, permission },
    { resource: 'queue' as const, name: `${ns}.commands.3`, permission },
    { resource: 'queue' as const, name: `${ns}.coordinators`, permission },
    { resource: 'exchange' as const, name: `${ns}.chat.partitions`, permission },
    { resource: 'exchange' as const, name: `${ns}.commands.partitions`, permission },
  ]);

  it.each(coordinatorOnly)('a client, even logged in, is refused $permission on $resource $name', (ask) => {
    expect(clientResource(ns, id, true, ask)).toBe(false);
    expect(clientResource(ns, id, false, ask)).toBe(false);
  });

  it.each(coordinatorOnly)('the coordinator may $permission $resource $name', (ask) => {
    expect(coordinatorResource(ns, false, ask)).toBe(true);
  });
});
