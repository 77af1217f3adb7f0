import scriptMappings from 'unicode-match-property-value-ecmascript/data/mappings.js';

/**
 * Which writing systems a name uses, after UTS #39 §5.1 (resolved script set) and §5.2
 * (restriction levels). A name passes when it is single-script (Han, Hiragana and Katakana count
 * as one Japanese script, Han and Hangul as Korean, Han and Bopomofo as one) or when it is
 * "moderately restrictive": Latin plus one other Recommended script that is not Cyrillic or Greek,
 * the two scripts whose letters copy Latin ones. Digits, `_`, `-` and `.` (Common) fit any script.
 */

/** Every Script_Extensions value this engine's regular expressions know (the list is the Unicode one; an engine older than it skips the newest). */
const SCRIPT_TESTS: ReadonlyArray<readonly [string, RegExp]> = [...new Set(scriptMappings.get('Script_Extensions')?.values() ?? [])].flatMap(
  (script): [string, RegExp][] => {
    try {
      return [[script, new RegExp(`^\\p{scx=${script}}$`, 'u')]];
    } catch {
      return [];
    }
  },
);

/** UTS #39 §5.1: Han, kana and Hangul stand for the writing systems that combine them. */
const AUGMENT: Record<string, string[]> = {
  Han: ['Han_with_Bopomofo', 'Japanese', 'Korean'],
  Hiragana: ['Japanese'],
  Katakana: ['Japanese'],
  Hangul: ['Korean'],
  Bopomofo: ['Han_with_Bopomofo'],
};

/** UAX #31 Table 4 (Recommended Scripts), without Cyrillic and Greek, plus the combined East Asian sets. */
const MAY_JOIN_LATIN = new Set([
  'Arabic', 'Armenian', 'Bengali', 'Bopomofo', 'Devanagari', 'Ethiopic', 'Georgian', 'Gujarati', 'Gurmukhi', 'Hangul', 'Han',
  'Hebrew', 'Hiragana', 'Katakana', 'Kannada', 'Khmer', 'Lao', 'Malayalam', 'Myanmar', 'Oriya', 'Sinhala', 'Tamil', 'Telugu',
  'Thaana', 'Thai', 'Tibetan', 'Han_with_Bopomofo', 'Japanese', 'Korean',
]);

const ANY_SCRIPT = /^[\p{scx=Common}\p{scx=Inherited}]$/u;
/** Script sets of characters met before; names are short and repeat letters, so this stays small. */
const cache = new Map<string, ReadonlySet<string> | null>();
const CACHE_LIMIT = 4096;

/** The augmented Script_Extensions of one character, or null for Common/Inherited (fits any script). */
export function scriptsOf(char: string): ReadonlySet<string> | null {
  const known = cache.get(char);
  if (known !== undefined) return known;
  let result: Set<string> | null = null;
  if (!ANY_SCRIPT.test(char)) {
    result = new Set<string>();
    for (const [script, test] of SCRIPT_TESTS) {
      if (!test.test(char)) continue;
      result.add(script);
      for (const extra of AUGMENT[script] ?? []) result.add(extra);
    }
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(char, result);
  return result;
}

/** The scripts every character of `chars` belongs to (UTS #39 resolved script set); null = all scripts. */
function resolve(chars: string[]): Set<string> | null {
  let resolved: Set<string> | null = null;
  for (const char of chars) {
    const scripts = scriptsOf(char);
    if (scripts === null) continue;
    const before: ReadonlySet<string> = resolved ?? scripts;
    resolved = new Set([...before].filter((script) => scripts.has(script)));
  }
  return resolved;
}

/** True when the name is single-script or Latin plus one script that may join it (see above). */
export function isScriptMixAllowed(name: string): boolean {
  const chars = [...name];
  const all = resolve(chars);
  if (all === null || all.size > 0) return true;
  const rest = resolve(chars.filter((char) => !scriptsOf(char)?.has('Latin')));
  return rest === null || [...rest].some((script) => MAY_JOIN_LATIN.has(script));
}
