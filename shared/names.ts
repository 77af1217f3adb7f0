import { ERROR_CODES, type ErrorCode } from './errors.js';
import { LIMITS } from './limits.js';
import { lookalikeKey, typedLookalikeKey } from './name-key.js';
import { isScriptMixAllowed } from './name-scripts.js';

/**
 * User names: 1–32 letters or digits (any script), plus `_`, `-` and `.` after the first
 * character. No spaces, no control or invisible characters, no mix of look-alike scripts.
 * Uniqueness is case-insensitive (nameKey) and, where the coordinator checks it, look-alike
 * insensitive (looksAlike and the keys in name-key.ts).
 */
const NAME_PATTERN = /^[\p{L}\p{N}][\p{L}\p{N}\p{M}_.-]*$/u;

const RESERVED_NAMES = ['system', 'server', 'warren', 'coordinator', 'admin', 'everyone', 'here'];
/** By look-alike keys (of each name as typed in any of three casings), so `ADMlN` or `systern` are reserved too. */
const RESERVED = new Set(RESERVED_NAMES.map(lookalikeKey));
const RESERVED_TYPED = new Set(
  RESERVED_NAMES.flatMap((name) => [name, name.toUpperCase(), name[0]?.toUpperCase() + name.slice(1)].map(typedLookalikeKey)),
);

export type NameCheck = { ok: true; name: string } | { ok: false; reason: string; code: ErrorCode };

const refuse = (code: ErrorCode, reason: string): NameCheck => ({ ok: false, code, reason });

export function checkUserName(raw: string): NameCheck {
  const name = raw.normalize('NFC');
  if (name.length === 0) return refuse(ERROR_CODES.NAME_INVALID, 'the name is empty');
  if (/\s/u.test(name)) return refuse(ERROR_CODES.NAME_INVALID, 'the name contains a space');
  if (/\p{Cc}/u.test(name)) return refuse(ERROR_CODES.NAME_CONTROL_CHAR, 'the name contains a control character');
  // Marks that reorder text (RLO, LRI, LRM...) make a name display as another.
  if (/\p{Bidi_Control}/u.test(name)) return refuse(ERROR_CODES.NAME_BIDI_CONTROL, 'the name contains an invisible text-direction control');
  // Default-ignorable code points (zero-width characters, Hangul fillers, variation selectors, ...)
  // are letters or marks to the pattern below but render as nothing, so a name could look like
  // another or like nothing.
  if (/[\p{Cf}\p{Default_Ignorable_Code_Point}]/u.test(name)) return refuse(ERROR_CODES.NAME_INVISIBLE_CHAR, 'the name contains an invisible character');
  if ([...name].length > LIMITS.maxNameLength) {
    return refuse(ERROR_CODES.NAME_INVALID, `the name is longer than ${LIMITS.maxNameLength} characters`);
  }
  if (!NAME_PATTERN.test(name)) {
    return refuse(ERROR_CODES.NAME_INVALID, 'use letters and digits, and _ - . after the first character');
  }
  if (!isScriptMixAllowed(name)) {
    return refuse(ERROR_CODES.NAME_MIXED_SCRIPT, 'the name mixes alphabets (such as Latin with Cyrillic or Greek); write it in one');
  }
  if (RESERVED.has(lookalikeKey(name)) || RESERVED_TYPED.has(typedLookalikeKey(name))) return refuse(ERROR_CODES.NAME_INVALID, `"${name}" is reserved`);
  return { ok: true, name };
}

/**
 * The form names are stored and compared in: case-insensitive, and readable (private rooms are
 * named after it, `dm:alice:bob`). Two names with the same key are one name. For "may this name
 * be taken", compare the look-alike keys too (name-key.ts): they also join names that only look alike.
 */
export function nameKey(name: string): string {
  return name.normalize('NFC').toLowerCase();
}

export { lookalikeKey, lookalikeKeys, looksAlike, typedLookalikeKey } from './name-key.js';
