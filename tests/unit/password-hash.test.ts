import { ERROR_CODES, PASSWORD_POLICY, checkPassword, isWarrenError } from '../../shared/index.js';
import { DEFAULT_SCRYPT_PARAMS, hashPassword, needsRehash, parseHash, verifyPassword } from '../../server/accounts/password-hash.js';

const FAST = { logN: 10, r: 8, p: 1 };

describe('password policy: refused', () => {
  it.each([
    ['empty', '', ERROR_CODES.PASSWORD_TOO_SHORT],
    ['7 characters', 'abcdefg', ERROR_CODES.PASSWORD_TOO_SHORT],
    ['7 characters of 4 bytes each', '😀😀😀😀😀😀😀', ERROR_CODES.PASSWORD_TOO_SHORT],
    [`${PASSWORD_POLICY.maxLength + 1} characters`, 'a'.repeat(PASSWORD_POLICY.maxLength + 1), ERROR_CODES.PASSWORD_TOO_LONG],
    ['a NUL', 'abcd\u0000efgh', ERROR_CODES.PASSWORD_INVALID],
    ['a newline', 'abcdefgh\n', ERROR_CODES.PASSWORD_INVALID],
    ['an ESC', 'abcd\u001befgh', ERROR_CODES.PASSWORD_INVALID],
    ['a lone surrogate', 'abcdefgh\ud800', ERROR_CODES.PASSWORD_INVALID],
  ])('%s', (_what, password, code) => {
    expect(checkPassword(password)).toEqual({ ok: false, code, reason: expect.any(String) });
  });
});

describe('password policy: accepted', () => {
  it.each([
    ['exactly the minimum', 'abcdefgh'],
    ['exactly the maximum', 'a'.repeat(PASSWORD_POLICY.maxLength)],
    ['spaces (a passphrase)', 'correct horse battery staple'],
    ['any script and emoji', 'пароль😀ユキ'],
  ])('%s', (_what, password) => {
    expect(checkPassword(password)).toEqual({ ok: true, password });
  });

  it('normalises to NFC, so a composed and a decomposed é are the same password', () => {
    expect(checkPassword('caf\u0065\u0301-latte')).toEqual({ ok: true, password: 'caf\u00e9-latte' });
  });
});

describe('password hashes', () => {
  it('refuse malformed stored hashes with INTERNAL rather than treating them as a mismatch', async () => {
    for (const bad of ['', 'plain', '$scrypt$ln=15,r=8$AAAA$BBBB', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g', '$scrypt$ln=15,r=8,p=1$short$short']) {
      await expect(verifyPassword('whatever1', bad)).rejects.toMatchObject({ code: ERROR_CODES.INTERNAL });
    }
  });

  it('refuse parameters outside safe bounds, stored or asked for', async () => {
    const huge = '$scrypt$ln=30,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    await expect(verifyPassword('whatever1', huge)).rejects.toMatchObject({ code: ERROR_CODES.INTERNAL });
    const refused = await hashPassword('whatever1', { logN: 4, r: 8, p: 1 }).catch((err: unknown) => err);
    expect(isWarrenError(refused, ERROR_CODES.INTERNAL)).toBe(true);
  });

  it('verify the right password and refuse a wrong one, a near one and an empty one', async () => {
    const stored = await hashPassword('correct horse', FAST);
    await expect(verifyPassword('correct horse', stored)).resolves.toBe(true);
    await expect(verifyPassword('correct hors', stored)).resolves.toBe(false);
    await expect(verifyPassword('Correct horse', stored)).resolves.toBe(false);
    await expect(verifyPassword('', stored)).resolves.toBe(false);
  });

  it('are salted: the same password hashes differently each time, each verifying', async () => {
    const [a, b] = await Promise.all([hashPassword('same password', FAST), hashPassword('same password', FAST)]);
    expect(a).not.toBe(b);
    expect(parseHash(a).salt).toHaveLength(16);
    expect(parseHash(a).hash).toHaveLength(32);
    await expect(verifyPassword('same password', b)).resolves.toBe(true);
  });

  it('carry their parameters, so old hashes still verify after the defaults are raised', async () => {
    const stored = await hashPassword('old password', FAST);
    expect(stored).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(needsRehash(stored, DEFAULT_SCRYPT_PARAMS)).toBe(true);
    expect(needsRehash(stored, FAST)).toBe(false);
    await expect(verifyPassword('old password', stored)).resolves.toBe(true);
  });

  it('use the default parameters (N=2^15, r=8, p=3) within a login budget', async () => {
    const started = Date.now();
    const stored = await hashPassword('default cost');
    expect(stored.startsWith('$scrypt$ln=15,r=8,p=3$')).toBe(true);
    await expect(verifyPassword('default cost', stored)).resolves.toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
