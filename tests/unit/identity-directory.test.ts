import { createHash, randomBytes } from 'node:crypto';
import { MemoryIdentityDirectory, type IdentityDirectory } from '../../server/authority/directory.js';
import { SqlIdentityDirectory } from '../../server/store/identity-directory.js';
import { IdentityStore } from '../../server/store/identity-store.js';
import { STORE_ENGINES, type StoreEngine } from '../support/store-engines.js';

const newId = (): string => `c-${randomBytes(16).toString('base64url')}`;
const digestOf = (secret: string): Buffer => createHash('sha256').update(secret).digest();
const T0 = 1_800_000_000_000;

interface Subject {
  directory: IdentityDirectory;
  reopen?: () => IdentityDirectory;
  done(): void;
}

function storeSubject(engine: StoreEngine): Subject {
  const place = engine.place();
  let store = place.open();
  return {
    directory: new SqlIdentityDirectory(store.database),
    reopen: () => {
      store.close();
      store = place.open();
      return new SqlIdentityDirectory(store.database);
    },
    done: () => {
      store.close();
      place.remove();
    },
  };
}

const SUBJECTS: [string, () => Subject][] = [
  ['memory', () => ({ directory: new MemoryIdentityDirectory(), done: () => undefined })],
  ...STORE_ENGINES.map((engine): [string, () => Subject] => [engine.name, () => storeSubject(engine)]),
];

describe.each(SUBJECTS)('identity directory (%s): the authority interface', (_kind, make) => {
  let subject: Subject;
  beforeEach(() => (subject = make()));
  afterEach(() => subject.done());

  it('knows nothing of an id never inserted, and ignores updates and deletes of it', () => {
    const id = newId();
    subject.directory.update(id, { state: 'bound', name: 'alice', updatedAt: T0 });
    subject.directory.delete(id);
    expect(subject.directory.get(id)).toBeUndefined();
    expect(subject.directory.countUnbound()).toBe(0);
  });

  it('refuses a second insert of the same id (false), keeping the first', () => {
    const id = newId();
    const record = { clientId: id, secretDigest: digestOf('s'), state: 'unbound' as const, name: null, createdAt: T0, updatedAt: T0 };
    expect(subject.directory.insert(record)).toBe(true);
    expect(subject.directory.insert({ ...record, secretDigest: digestOf('other'), state: 'revoked' })).toBe(false);
    expect(subject.directory.get(id)).toMatchObject({ state: 'unbound' });
    expect(subject.directory.get(id)?.secretDigest.equals(digestOf('s'))).toBe(true);
    expect(subject.directory.countUnbound()).toBe(1);
  });

  it('never undoes a revocation, never binds an id to a second name, and says so (false)', () => {
    const [revoked, bound] = [newId(), newId()];
    subject.directory.insert({ clientId: revoked, secretDigest: digestOf('r'), state: 'unbound', name: null, createdAt: T0, updatedAt: T0 });
    expect(subject.directory.update(revoked, { state: 'revoked', name: null, updatedAt: T0 + 1 })).toBe(true);
    expect(subject.directory.update(revoked, { state: 'bound', name: 'mallory', updatedAt: T0 + 2 })).toBe(false);
    expect(subject.directory.update(revoked, { state: 'unbound', name: null, updatedAt: T0 + 2 })).toBe(false);
    expect(subject.directory.get(revoked)).toMatchObject({ state: 'revoked', name: null });
    subject.directory.insert({ clientId: bound, secretDigest: digestOf('b'), state: 'unbound', name: null, createdAt: T0, updatedAt: T0 });
    expect(subject.directory.update(bound, { state: 'bound', name: 'alice', updatedAt: T0 + 1 })).toBe(true);
    expect(subject.directory.update(bound, { state: 'bound', name: 'mallory', updatedAt: T0 + 2 })).toBe(false);
    expect(subject.directory.update(bound, { state: 'bound', name: 'alice', updatedAt: T0 + 3 })).toBe(true);
    expect(subject.directory.get(bound)).toMatchObject({ state: 'bound', name: 'alice' });
    expect(subject.directory.update(newId(), { state: 'revoked', name: null, updatedAt: T0 })).toBe(false);
  });

  it('goes unbound → bound → revoked, keeping the digest and the name', () => {
    const id = newId();
    subject.directory.insert({ clientId: id, secretDigest: digestOf('secret'), state: 'unbound', name: null, createdAt: T0, updatedAt: T0 });
    expect(subject.directory.countUnbound()).toBe(1);
    expect(subject.directory.unboundCreatedBefore(T0 + 1)).toEqual([id]);
    expect(subject.directory.unboundCreatedBefore(T0)).toEqual([]);
    subject.directory.update(id, { state: 'bound', name: 'Alice', updatedAt: T0 + 5 });
    expect(subject.directory.get(id)).toMatchObject({ state: 'bound', name: 'Alice', createdAt: T0, updatedAt: T0 + 5 });
    expect(subject.directory.get(id)?.secretDigest.equals(digestOf('secret'))).toBe(true);
    expect(subject.directory.countUnbound()).toBe(0);
    subject.directory.update(id, { state: 'revoked', name: 'Alice', updatedAt: T0 + 9 });
    expect(subject.directory.get(id)).toMatchObject({ state: 'revoked', name: 'Alice', updatedAt: T0 + 9 });
    expect(subject.directory.deleteRevokedBefore(T0 + 9)).toBe(0);
    expect(subject.directory.deleteRevokedBefore(T0 + 10)).toBe(1);
    expect(subject.directory.get(id)).toBeUndefined();
  });

  it('stores a revoked record inserted directly (an id revoked before it was ever seen)', () => {
    const id = newId();
    subject.directory.insert({ clientId: id, secretDigest: Buffer.alloc(32), state: 'revoked', name: null, createdAt: T0, updatedAt: T0 });
    expect(subject.directory.get(id)).toMatchObject({ state: 'revoked', name: null });
    expect(subject.directory.countUnbound()).toBe(0);
  });

  it('lists unbound ids oldest first and deletes one', () => {
    const [a, b] = [newId(), newId()];
    subject.directory.insert({ clientId: b, secretDigest: digestOf('b'), state: 'unbound', name: null, createdAt: T0 + 2, updatedAt: T0 + 2 });
    subject.directory.insert({ clientId: a, secretDigest: digestOf('a'), state: 'unbound', name: null, createdAt: T0 + 1, updatedAt: T0 + 1 });
    expect(subject.directory.unboundCreatedBefore(T0 + 10)).toEqual([a, b]);
    subject.directory.delete(a);
    expect(subject.directory.countUnbound()).toBe(1);
  });
});

describe.each(STORE_ENGINES)('identity directory ($name): two authorities on one store', (engine) => {
  it('each reads what the other wrote at once: registration, binding, revocation', () => {
    const place = engine.place();
    const [storeA, storeB] = [place.open(), place.open()];
    try {
      const [a, b] = [new SqlIdentityDirectory(storeA.database), new SqlIdentityDirectory(storeB.database)];
      const id = newId();
      const record = { clientId: id, secretDigest: digestOf('s'), state: 'unbound' as const, name: null, createdAt: T0, updatedAt: T0 };
      expect(a.insert(record)).toBe(true);
      expect(b.insert(record)).toBe(false);
      expect(b.get(id)).toMatchObject({ state: 'unbound' });
      expect(b.update(id, { state: 'bound', name: 'dana', updatedAt: T0 + 1 })).toBe(true);
      expect(a.get(id)).toMatchObject({ state: 'bound', name: 'dana' });
      expect(a.update(id, { state: 'revoked', name: 'dana', updatedAt: T0 + 2 })).toBe(true);
      // B read 'bound' before A revoked: its late write must not bring the id back.
      expect(b.update(id, { state: 'bound', name: 'dana', updatedAt: T0 + 3 })).toBe(false);
      expect(b.get(id)).toMatchObject({ state: 'revoked', name: 'dana' });
    } finally {
      storeA.close();
      storeB.close();
      place.remove();
    }
  });
});

describe.each(STORE_ENGINES)('identity directory ($name): what a coordinator restart keeps', (engine) => {
  it('keeps bound and revoked ids across a reopen of the store, and shares the table with IdentityStore', () => {
    const subject = storeSubject(engine);
    try {
      const [bound, revoked] = [newId(), newId()];
      subject.directory.insert({ clientId: bound, secretDigest: digestOf('s1'), state: 'unbound', name: null, createdAt: T0, updatedAt: T0 });
      subject.directory.update(bound, { state: 'bound', name: 'bob', updatedAt: T0 + 1 });
      subject.directory.insert({ clientId: revoked, secretDigest: digestOf('s2'), state: 'unbound', name: null, createdAt: T0, updatedAt: T0 });
      subject.directory.update(revoked, { state: 'revoked', name: null, updatedAt: T0 + 1 });
      const reopened = subject.reopen?.();
      expect(reopened?.get(bound)).toMatchObject({ state: 'bound', name: 'bob' });
      expect(reopened?.get(revoked)).toMatchObject({ state: 'revoked' });
      expect(reopened?.get(bound)?.secretDigest.equals(digestOf('s1'))).toBe(true);
    } finally {
      subject.done();
    }
  });

  it('reads what IdentityStore wrote: its bound id is bound here with the same name', () => {
    const place = engine.place();
    const store = place.open();
    try {
      const identities = new IdentityStore(store.database);
      const id = newId();
      const secret = randomBytes(32).toString('base64url');
      expect(identities.admit(id, secret, T0).ok).toBe(true);
      expect(identities.bind(id, 'carol', 'carol', T0 + 1)).toBe(true);
      const directory = new SqlIdentityDirectory(store.database);
      expect(directory.get(id)).toMatchObject({ state: 'bound', name: 'carol' });
      expect(directory.get(id)?.secretDigest.equals(digestOf(secret))).toBe(true);
    } finally {
      store.close();
      place.remove();
    }
  });
});
