import { LIMITS } from './limits.js';

/**
 * User names: 1–32 letters or digits (any script), plus `_`, `-` and `.` after the first
 * character. No spaces, no control or invisible characters. Uniqueness is case-insensitive.
 */
const NAME_PATTERN = /^[\p{L}\p{N}][\p{L}\p{N}\p{M}_.-]*$/u;

const RESERVED = new Set(['system', 'server', 'warren', 'coordinator', 'admin', 'everyone', 'here']);

export type NameCheck = { ok: true; name: string } | { ok: false; reason: string };

export function checkUserName(raw: string): NameCheck {
  const name = raw.normalize('NFC');
  if (name.length === 0) return { ok: false, reason: 'the name is empty' };
  if (/\s/u.test(name)) return { ok: false, reason: 'the name contains a space' };
  // Default-ignorable code points (Hangul fillers, variation selectors, ...) are letters or marks
  // to the pattern below but render as nothing, so a name could look like another or like nothing.
  if (/[\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}]/u.test(name)) return { ok: false, reason: 'the name contains a control or invisible character' };
  if ([...name].length > LIMITS.maxNameLength) {
    return { ok: false, reason: `the name is longer than ${LIMITS.maxNameLength} characters` };
  }
  if (!NAME_PATTERN.test(name)) {
    return { ok: false, reason: 'use letters and digits, and _ - . after the first character' };
  }
  if (RESERVED.has(nameKey(name))) return { ok: false, reason: `"${name}" is reserved` };
  return { ok: true, name };
}

/** The form names are compared in: two names with the same key cannot be online at once. */
export function nameKey(name: string): string {
  return name.normalize('NFC').toLowerCase();
}
