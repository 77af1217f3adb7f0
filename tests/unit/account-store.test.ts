import { ERROR_CODES } from '../../shared/index.js';
import { AccountStore } from '../../server/store/account-store.js';
import type { SqlStore } from '../../server/store/sql-store.js';
import { STORE_ENGINES, type StorePlace } from '../support/store-engines.js';

const FAST = { logN: 10, r: 8, p: 1 };
const NOW = new Date('2026-12-01T10:00:00.000Z');
let place: StorePlace;
let store: SqlStore;
let accounts: AccountStore;

describe.each(STORE_ENGINES)('on $name', (engine) => {
  beforeEach(() => {
    place = engine.place();
    store = place.open();
    accounts = new AccountStore(store.database, FAST);
  });

  afterEach(() => {
    store.close();
    place.remove();
  });

  describe('registering: refused', () => {
    it.each([
      ['an invalid name', 'two words', 'long enough', ERROR_CODES.NAME_INVALID],
      ['a mixed-script name', '\u0430lice', 'long enough', ERROR_CODES.NAME_MIXED_SCRIPT],
      ['a reserved name', 'Admin', 'long enough', ERROR_CODES.NAME_INVALID],
      ['a short password', 'alice', 'short', ERROR_CODES.PASSWORD_TOO_SHORT],
      ['a password with a control character', 'alice', 'long\u0007enough', ERROR_CODES.PASSWORD_INVALID],
    ])('%s', async (_what, name, password, code) => {
      await expect(accounts.register(name, password, NOW)).rejects.toMatchObject({ code });
      expect(accounts.exists('alice')).toBe(false);
    });

    it.each(['alice', 'ALICE', 'Alice', 'AIice', 'a1ice', 'ａｌｉｃｅ'])('a name already registered, or a look-alike of it: %s', async (name) => {
      await accounts.register('alice', 'first password', NOW);
      await expect(accounts.register(name, 'second password', NOW)).rejects.toMatchObject({ code: ERROR_CODES.ACCOUNT_EXISTS });
      await expect(accounts.verify('alice', 'first password', NOW)).resolves.toMatchObject({ name: 'alice' });
    });

    it('two registrations of one name at once: exactly one wins', async () => {
      const results = await Promise.allSettled([accounts.register('bob', 'password one', NOW), accounts.register('BOB', 'password two', NOW)]);
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      const refused = results.find((result) => result.status === 'rejected');
      expect(refused?.status === 'rejected' && (refused.reason as { code: string }).code).toBe(ERROR_CODES.ACCOUNT_EXISTS);
    });
  });

  describe('verifying', () => {
    beforeEach(async () => {
      await accounts.register('Alice', 'correct horse', NOW);
    });

    it.each([
      ['a wrong password', 'Alice', 'wrong horse'],
      ['an empty password', 'Alice', ''],
      ['a name nobody registered', 'carol', 'correct horse'],
    ])('refuses %s with PASSWORD_WRONG', async (_what, name, password) => {
      await expect(accounts.verify(name, password, NOW)).rejects.toMatchObject({ code: ERROR_CODES.PASSWORD_WRONG });
    });

    it.each(['Alice', 'alice', 'ALICE', '\u0430lice', 'AIice'])('opens the account under %s with its password', async (name) => {
      await expect(accounts.verify(name, 'correct horse', NOW)).resolves.toMatchObject({ name: 'Alice' });
    });

    it('finds accounts by name or look-alike, and says which exist', () => {
      expect(accounts.exists('alice')).toBe(true);
      expect(accounts.exists('\u0430lice')).toBe(true);
      expect(accounts.exists('bob')).toBe(false);
      expect(accounts.find('ALICE')).toEqual({ nameKey: 'alice', typedKey: 'alice', name: 'Alice', createdAt: NOW.toISOString(), updatedAt: NOW.toISOString() });
    });

    it('never stores the password itself, and survives a restart', async () => {
      const raw = store.database.prepare<[], { password_hash: string }>('SELECT password_hash FROM accounts').get();
      expect(raw?.password_hash).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$/);
      expect(raw?.password_hash).not.toContain('correct horse');
      store.close();
      store = place.open();
      accounts = new AccountStore(store.database, FAST);
      await expect(accounts.verify('alice', 'correct horse', NOW)).resolves.toMatchObject({ name: 'Alice' });
    });

    it('rehashes with stronger parameters on a good login once they are raised', async () => {
      const stronger = new AccountStore(store.database, { logN: 11, r: 8, p: 1 });
      const later = new Date(NOW.getTime() + 1000);
      await expect(stronger.verify('alice', 'wrong horse', later)).rejects.toMatchObject({ code: ERROR_CODES.PASSWORD_WRONG });
      const hash = () => store.database.prepare<[], { password_hash: string }>('SELECT password_hash FROM accounts').get()?.password_hash;
      expect(hash()).toMatch(/^\$scrypt\$ln=10,/);
      await stronger.verify('alice', 'correct horse', later);
      expect(hash()).toMatch(/^\$scrypt\$ln=11,/);
      expect(stronger.find('alice')?.updatedAt).toBe(later.toISOString());
      await expect(accounts.verify('alice', 'correct horse', later)).resolves.toMatchObject({ name: 'Alice' });
    });
  });
});
