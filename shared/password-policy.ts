import { ERROR_CODES, type ErrorCode } from './errors.js';

/** What a password must be; checked by the client before it sends one and by the coordinator. */
export const PASSWORD_POLICY = {
  /** Shortest password, in Unicode code points (NIST SP 800-63B: at least 8). */
  minLength: 8,
  /** Longest: generous for passphrases, small enough that hashing stays cheap to refuse. */
  maxLength: 256,
} as const;

export type PasswordCheck = { ok: true; password: string } | { ok: false; code: ErrorCode; reason: string };

/**
 * Passwords are NFC-normalised (the same password typed on two systems hashes the same) and may
 * hold any printable character, spaces included; control characters are refused because a
 * terminal or a password file would not carry them faithfully.
 */
export function checkPassword(raw: string): PasswordCheck {
  if (/\p{Cs}/u.test(raw)) return { ok: false, code: ERROR_CODES.PASSWORD_INVALID, reason: 'the password is not valid Unicode' };
  const password = raw.normalize('NFC');
  const length = [...password].length;
  if (length < PASSWORD_POLICY.minLength) {
    return { ok: false, code: ERROR_CODES.PASSWORD_TOO_SHORT, reason: `the password has ${length} characters; use at least ${PASSWORD_POLICY.minLength}` };
  }
  if (length > PASSWORD_POLICY.maxLength) {
    return { ok: false, code: ERROR_CODES.PASSWORD_TOO_LONG, reason: `the password is longer than ${PASSWORD_POLICY.maxLength} characters` };
  }
  if (/\p{Cc}/u.test(password)) return { ok: false, code: ERROR_CODES.PASSWORD_INVALID, reason: 'the password contains a control character' };
  return { ok: true, password };
}
