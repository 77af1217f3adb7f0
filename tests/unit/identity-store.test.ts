import { randomBytes } from 'node:crypto';
import { IdentityStore, type AdmitPolicy } from '../../server/store/identity-store.js';
import type { SqlStore } from '../../server/store/sql-store.js';
import { STORE_ENGINES, type StorePlace } from '../support/store-engines.js';

const newId = (): string => `c-${randomBytes(16).toString('base64url')}`;
const newSecret = (): string => randomBytes(32).toString('base64url');
const POLICY: AdmitPolicy = { unboundTtlMs: 120_000, maxUnbound: 3 };
const T0 = 1_800_000_000_000;

let place: StorePlace;
let store: SqlStore;
let identities: IdentityStore;

describe.each(STORE_ENGINES)('on $name', (engine) => {
  beforeEach(() => {
    place = engine.place();
    store = place.open();
    identities = new IdentityStore(store.database);
  });

  afterEach(() => {
    store.close();
    place.remove();
  });

  describe('broker identities: refused', () => {
    it.each([
      ['an empty id', ''],
      ['guest', 'guest'],
      ['the coordinator', 'warren-coordinator'],
      ['an id one character short', `c-${'a'.repeat(21)}`],
      ['an id one character long', `c-${'a'.repeat(23)}`],
      ['an id with a dot (a queue-name trick)', `c-${'a'.repeat(20)}.x`],
      ['an id with a wildcard', `c-${'a'.repeat(21)}#`],
      ['an id without the prefix', 'a'.repeat(24)],
    ])('%s: malformed-id, nothing stored', (_what, id) => {
      expect(identities.admit(id, newSecret(), T0, POLICY)).toEqual({ ok: false, reason: 'malformed-id' });
      expect(identities.countUnbound()).toBe(0);
    });

    it.each([
      ['empty', ''],
      ['short', 'abc'],
      ['with a space', `${'a'.repeat(42)} `],
      ['too long', 'a'.repeat(129)],
    ])('a secret that is %s: malformed-secret', (_what, secret) => {
      expect(identities.admit(newId(), secret, T0, POLICY)).toEqual({ ok: false, reason: 'malformed-secret' });
      expect(identities.countUnbound()).toBe(0);
    });

    it('a known id with another secret: wrong-secret, and the first secret still works', () => {
      const id = newId();
      const secret = newSecret();
      expect(identities.admit(id, secret, T0, POLICY)).toMatchObject({ ok: true, registered: true });
      expect(identities.admit(id, newSecret(), T0 + 1, POLICY)).toEqual({ ok: false, reason: 'wrong-secret' });
      expect(identities.check(id, newSecret())).toBe(false);
      expect(identities.admit(id, secret, T0 + 2, POLICY)).toMatchObject({ ok: true, registered: false });
    });

    it('a revoked id: refused for good, with its own secret too, and never registered again', () => {
      const id = newId();
      const secret = newSecret();
      identities.admit(id, secret, T0, POLICY);
      expect(identities.bind(id, 'Alice', 'alice', T0 + 10)).toBe(true);
      expect(identities.revoke(id, T0 + 20)).toBe(true);
      expect(identities.admit(id, secret, T0 + 30, POLICY)).toEqual({ ok: false, reason: 'revoked' });
      expect(identities.admit(id, newSecret(), T0 + 30, POLICY)).toEqual({ ok: false, reason: 'revoked' });
      expect(identities.check(id, secret)).toBe(false);
      expect(identities.bind(id, 'Alice', 'alice', T0 + 40)).toBe(false);
      expect(identities.revoke(id, T0 + 50)).toBe(false);
    });

    it('an unbound id past its time: expired and deleted', () => {
      const id = newId();
      const secret = newSecret();
      identities.admit(id, secret, T0, POLICY);
      expect(identities.admit(id, secret, T0 + POLICY.unboundTtlMs + 1, POLICY)).toEqual({ ok: false, reason: 'expired' });
      expect(identities.get(id)).toBeUndefined();
    });

    it('new ids past the cap of unbound ones: too-many-unbound, until old ones expire or bind', () => {
      const ids = [newId(), newId(), newId()];
      for (const id of ids) expect(identities.admit(id, newSecret(), T0, POLICY)).toMatchObject({ ok: true });
      expect(identities.admit(newId(), newSecret(), T0 + 1, POLICY)).toEqual({ ok: false, reason: 'too-many-unbound' });
      identities.bind(ids[0] ?? '', 'Alice', 'alice', T0 + 2);
      expect(identities.admit(newId(), newSecret(), T0 + 3, POLICY)).toMatchObject({ ok: true, registered: true });
      expect(identities.admit(newId(), newSecret(), T0 + 4, POLICY)).toEqual({ ok: false, reason: 'too-many-unbound' });
      // Admitting purges the expired ones first.
      expect(identities.admit(newId(), newSecret(), T0 + POLICY.unboundTtlMs + 5, POLICY)).toMatchObject({ ok: true, registered: true });
      expect(identities.countUnbound()).toBe(1);
    });

    it('binding an id to a second name: refused (one id, one name)', () => {
      const id = newId();
      identities.admit(id, newSecret(), T0, POLICY);
      expect(identities.bind(id, 'Alice', 'alice', T0 + 1)).toBe(true);
      expect(identities.bind(id, 'Bob', 'bob', T0 + 2)).toBe(false);
      expect(identities.bind(id, 'Alice', 'alice', T0 + 3)).toBe(true);
      expect(identities.get(id)).toMatchObject({ name: 'Alice', nameKey: 'alice', boundMs: T0 + 1 });
      expect(identities.bind(newId(), 'Carol', 'carol', T0 + 4)).toBe(false);
    });
  });

  describe('broker identities: the life of one', () => {
    it('registers on first use, checks the secret, binds, survives a restart, revokes', () => {
      const id = newId();
      const secret = newSecret();
      const first = identities.admit(id, secret, T0, POLICY);
      expect(first).toEqual({ ok: true, registered: true, identity: { id, name: null, nameKey: null, createdMs: T0, boundMs: null, revokedMs: null } });
      expect(identities.countUnbound()).toBe(1);
      expect(identities.check(id, secret)).toBe(true);
      expect(identities.bind(id, 'Alice', 'alice', T0 + 100)).toBe(true);
      expect(identities.countUnbound()).toBe(0);
      // A bound id does not expire: a long session reconnects hours later.
      expect(identities.admit(id, secret, T0 + 10 * 3_600_000, POLICY)).toMatchObject({ ok: true, registered: false });

      store.close();
      store = place.open();
      identities = new IdentityStore(store.database);
      expect(identities.check(id, secret)).toBe(true);
      expect(identities.boundTo('alice').map((identity) => identity.id)).toEqual([id]);
      const stored = store.database.prepare<[], { secret_sha256: Buffer }>('SELECT secret_sha256 FROM broker_identities').get();
      expect(stored?.secret_sha256).toHaveLength(32);
      expect(stored?.secret_sha256.toString('utf8')).not.toContain(secret);

      expect(identities.revokeName('alice', T0 + 200)).toEqual([id]);
      expect(identities.boundTo('alice')).toEqual([]);
      expect(identities.get(id)?.revokedMs).toBe(T0 + 200);
    });

    it('expires unbound ids on demand, keeps bound ones, and prunes long-revoked ones', () => {
      const [a, b, c] = [newId(), newId(), newId()];
      identities.admit(a, newSecret(), T0, POLICY);
      identities.admit(b, newSecret(), T0 + 1000, POLICY);
      identities.admit(c, newSecret(), T0, POLICY);
      identities.bind(c, 'Carol', 'carol', T0 + 1);
      expect(identities.expireUnbound(T0 + 500)).toBe(1);
      expect(identities.get(a)).toBeUndefined();
      expect(identities.get(b)).toBeDefined();
      expect(identities.get(c)).toBeDefined();
      identities.revoke(c, T0 + 2000);
      expect(identities.pruneRevoked(T0 + 1999)).toBe(0);
      expect(identities.pruneRevoked(T0 + 2001)).toBe(1);
      expect(identities.get(c)).toBeUndefined();
    });
  });
});
