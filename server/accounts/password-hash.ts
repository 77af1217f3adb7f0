import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { ERROR_CODES, WarrenError } from '../../shared/index.js';

/**
 * Password hashes: node:crypto scrypt with a random 16-byte salt, stored in the PHC string format
 * with its parameters (`$scrypt$ln=15,r=8,p=3$<salt>$<hash>`, base64 without padding), so the
 * cost can be raised later: verifyPassword reads the parameters from each stored hash, and
 * needsRehash tells when one was made with weaker ones. Hashing runs on libuv's thread pool, so
 * the coordinator's event loop is not blocked while it works.
 */
export interface ScryptParams {
  /** log2 of the CPU/memory cost N. */
  logN: number;
  /** Block size. */
  r: number;
  /** Parallelism. */
  p: number;
}

/** OWASP's scrypt choice of N=2^15, r=8, p=3: 32 MiB per hash, about 100 ms here. */
export const DEFAULT_SCRYPT_PARAMS: ScryptParams = { logN: 15, r: 8, p: 3 };
export const SALT_BYTES = 16;
export const HASH_BYTES = 32;
/** Bounds on what a stored hash may ask for, so a damaged row cannot make verification hang or exhaust memory. */
const LIMITS = { logN: [10, 20], r: [1, 32], p: [1, 16] } as const;

const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{16,})\$([A-Za-z0-9+/]{16,})$/;

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT_PARAMS): Promise<string> {
  checkParams(params);
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, HASH_BYTES, params);
  return `$scrypt$ln=${params.logN},r=${params.r},p=${params.p}$${b64(salt)}$${b64(hash)}`;
}

/** True when `password` is the one `encoded` was made from. Throws INTERNAL for a malformed stored hash. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const { params, salt, hash } = parseHash(encoded);
  const candidate = await derive(password, salt, hash.length, params);
  return timingSafeEqual(candidate, hash);
}

/** True when the stored hash was made with weaker parameters than `params` (rehash at the next good login). */
export function needsRehash(encoded: string, params: ScryptParams = DEFAULT_SCRYPT_PARAMS): boolean {
  const stored = parseHash(encoded).params;
  return stored.logN < params.logN || stored.r < params.r || stored.p < params.p;
}

export function parseHash(encoded: string): { params: ScryptParams; salt: Buffer; hash: Buffer } {
  const match = PHC.exec(encoded);
  if (!match) throw new WarrenError(ERROR_CODES.INTERNAL, 'a stored password hash is not in the $scrypt$ format');
  const params = { logN: Number(match[1]), r: Number(match[2]), p: Number(match[3]) };
  checkParams(params);
  return { params, salt: Buffer.from(match[4] ?? '', 'base64'), hash: Buffer.from(match[5] ?? '', 'base64') };
}

function checkParams(params: ScryptParams): void {
  for (const key of ['logN', 'r', 'p'] as const) {
    const [min, max] = LIMITS[key];
    const value = params[key];
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new WarrenError(ERROR_CODES.INTERNAL, `scrypt parameter ${key}=${value} is outside ${min}..${max}`);
    }
  }
}

function derive(password: string, salt: Buffer, length: number, params: ScryptParams): Promise<Buffer> {
  const N = 2 ** params.logN;
  // scrypt needs 128·N·r bytes; node refuses above maxmem (32 MiB by default), so allow twice that.
  const options: ScryptOptions = { N, r: params.r, p: params.p, maxmem: 256 * N * params.r };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, length, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

const b64 = (bytes: Buffer): string => bytes.toString('base64').replace(/=+$/, '');
