import type { SqlDatabase } from './sql/sql-database.js';
import { ERROR_CODES, WarrenError, checkPassword, checkUserName, lookalikeKeys } from '../../shared/index.js';
import { isUniqueViolation } from './sql/dialect.js';
import { DEFAULT_SCRYPT_PARAMS, hashPassword, needsRehash, verifyPassword, type ScryptParams } from '../accounts/password-hash.js';

/** A registered name. `name` is the name as registered; `nameKey`/`typedKey` are its look-alike keys. */
export interface AccountRecord {
  nameKey: string;
  typedKey: string;
  name: string;
  createdAt: string;
  updatedAt: string;
}

interface AccountRow {
  name_key: string;
  typed_key: string;
  name: string;
  password_hash: string;
  created_at: string;
  updated_at: string;
}

const toAccount = (row: AccountRow): AccountRecord => ({
  nameKey: row.name_key,
  typedKey: row.typed_key,
  name: row.name,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/**
 * Registered names (the `accounts` table of the coordinator's store). An account is
 * found by either look-alike key, so `ALICE`, `аlice` (Cyrillic а) and `AIice` all find the
 * account `alice`. Hashing is asynchronous (scrypt on the thread pool); the SQL is synchronous.
 */
export class AccountStore {
  private readonly sql;

  constructor(
    db: SqlDatabase,
    private readonly params: ScryptParams = DEFAULT_SCRYPT_PARAMS,
  ) {
    this.sql = {
      find: db.prepare<[string, string], AccountRow>('SELECT * FROM accounts WHERE name_key = ? OR typed_key = ? LIMIT 1'),
      insert: db.prepare<[AccountRow]>(
        `INSERT INTO accounts (name_key, typed_key, name, password_hash, created_at, updated_at)
         VALUES (@name_key, @typed_key, @name, @password_hash, @created_at, @updated_at)`,
      ),
      setHash: db.prepare<[string, string, string]>('UPDATE accounts SET password_hash = ?, updated_at = ? WHERE name_key = ?'),
    };
  }

  /**
   * Registers `name` with `password`. Throws NAME_* for an invalid name, PASSWORD_* for a password
   * the policy refuses, ACCOUNT_EXISTS when the name or a look-alike of it is registered already.
   */
  async register(rawName: string, rawPassword: string, now: Date): Promise<AccountRecord> {
    const name = checkUserName(rawName);
    if (!name.ok) throw new WarrenError(name.code, `invalid name: ${name.reason}`);
    const password = checkPassword(rawPassword);
    if (!password.ok) throw new WarrenError(password.code, password.reason);
    this.refuseTaken(name.name);
    return this.registerHashed(name.name, await hashPassword(password.password, this.params), now);
  }

  /**
   * The account `password` opens, for a login under `name` (or a look-alike of it). Throws
   * PASSWORD_WRONG when there is no such account or the password is not its own, so a caller
   * cannot tell one from the other by the error; ask `find` first to tell guests from accounts.
   * A hash made with weaker parameters than this store's is replaced on the way.
   */
  async verify(name: string, password: string, now: Date): Promise<AccountRecord> {
    const row = this.row(name);
    const ok = row !== undefined && (await verifyPassword(password, row.password_hash));
    if (!row || !ok) throw new WarrenError(ERROR_CODES.PASSWORD_WRONG, 'wrong name or password');
    if (needsRehash(row.password_hash, this.params)) {
      this.sql.setHash.run(await hashPassword(password, this.params), now.toISOString(), row.name_key);
    }
    return toAccount(row);
  }

  /**
   * Registers `name` with a hash made beforehand (the coordinator hashes outside its synchronous
   * batch, server/accounts/admission.ts). Same refusals as `register`, minus the password policy.
   */
  registerHashed(rawName: string, passwordHash: string, now: Date): AccountRecord {
    const name = checkUserName(rawName);
    if (!name.ok) throw new WarrenError(name.code, `invalid name: ${name.reason}`);
    this.refuseTaken(name.name);
    const keys = lookalikeKeys(name.name);
    const row: AccountRow = {
      name_key: keys.key,
      typed_key: keys.typedKey,
      name: name.name,
      password_hash: passwordHash,
      created_at: now.toISOString(),
      updated_at: now.toISOString(),
    };
    try {
      this.sql.insert.run(row);
    } catch (err) {
      // Two registrations of one name raced through the hashing: the database keeps one.
      if (isUniqueViolation(err)) this.refuseTaken(name.name);
      throw err;
    }
    return toAccount(row);
  }

  /** The stored hash of the account of `name` (or a look-alike), for a verification made outside the batch. */
  passwordHashOf(name: string): string | undefined {
    return this.row(name)?.password_hash;
  }

  /** Replaces an account's hash (made with stronger parameters after a good login). */
  rehash(account: AccountRecord, passwordHash: string, now: Date): void {
    this.sql.setHash.run(passwordHash, now.toISOString(), account.nameKey);
  }

  /** The account registered under `name` or a look-alike of it. */
  find(name: string): AccountRecord | undefined {
    const row = this.row(name);
    return row ? toAccount(row) : undefined;
  }

  /** True when `name` or a look-alike of it is registered (then it cannot be used without a password). */
  exists(name: string): boolean {
    return this.row(name) !== undefined;
  }

  private row(name: string): AccountRow | undefined {
    const keys = lookalikeKeys(name);
    return this.sql.find.get(keys.key, keys.typedKey);
  }

  private refuseTaken(name: string): void {
    const holder = this.find(name);
    if (holder) throw new WarrenError(ERROR_CODES.ACCOUNT_EXISTS, `the name "${holder.name}" is registered already`);
  }
}
