import unhomoglyph from 'unhomoglyph';

/**
 * Keys under which names that look alike count as one name. The mapping is Unicode's
 * confusables.txt (UTS #39), as shipped in the `unhomoglyph` package (no download at run time).
 *
 * One key cannot do it: case folding and confusables chain (`alice` ~ `ALICE` by case, `ALICE` ~
 * `ALlCE` because capital I looks like small l, `ALlCE` ~ `allce` by case), so a single key that
 * honours both would make `Ali` and `All` one name. Two keys, each with a clear meaning:
 * - lookalikeKey: NFKC, case fold, skeleton: `аlice` (Cyrillic а), `ALICE`, `ａｌｉｃｅ`, `a1ice` and
 *   `alice` share it. This is the key of an account and of a name being held.
 * - typedLookalikeKey: NFKC, skeleton of the name as typed, then case fold: catches a capital I
 *   posing as an l (`AIice` shows like `Alice`).
 * Two names collide when either key is equal (`looksAlike`). Neither key is a display form
 * (`admin` has the key `adrnin`).
 */
export function lookalikeKey(name: string): string {
  return settle(foldCase(name.normalize('NFKC')));
}

export function typedLookalikeKey(name: string): string {
  return settle(foldCase(skeleton(name.normalize('NFKC'))));
}

/** Both keys, for storing and indexing. */
export function lookalikeKeys(name: string): { key: string; typedKey: string } {
  return { key: lookalikeKey(name), typedKey: typedLookalikeKey(name) };
}

/** True when the two names would pass for each other on screen (or differ only in letter case). */
export function looksAlike(a: string, b: string): boolean {
  return lookalikeKey(a) === lookalikeKey(b) || typedLookalikeKey(a) === typedLookalikeKey(b);
}

/**
 * Skeleton and folding in turn until nothing changes: a prototype can be a capital letter whose
 * folded form has a prototype of its own. Four rounds settle every character of the table (a test
 * checks the whole table); the bound guards against a cycle in future data.
 */
function settle(folded: string): string {
  let key = folded;
  for (let round = 0; round < 4; round += 1) {
    const next = foldCase(skeleton(key));
    if (next === key) break;
    key = next;
  }
  return key.normalize('NFC');
}

/** UTS #39 skeleton: NFD, each character replaced by its prototype, NFD again. */
export function skeleton(text: string): string {
  return unhomoglyph(text.normalize('NFD')).normalize('NFD');
}

/**
 * Full case folding as far as JavaScript offers it: upper then lower turns `ß` into `ss` and both
 * Cherokee cases into one; the final sigma is folded by hand, as toLowerCase keeps it at a word's end.
 */
export function foldCase(text: string): string {
  return text.toUpperCase().toLowerCase().replace(/ς/gu, 'σ');
}
