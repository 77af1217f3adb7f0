import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ERROR_CODES, checkUserName, lookalikeKey, lookalikeKeys, looksAlike, nameKey, typedLookalikeKey, type ErrorCode } from '../../shared/index.js';
import { foldCase, skeleton } from '../../shared/name-key.js';

function refusal(raw: string): { code: ErrorCode; reason: string } {
  const check = checkUserName(raw);
  if (check.ok) throw new Error(`expected ${JSON.stringify(raw)} to be refused`);
  return { code: check.code, reason: check.reason };
}

describe('user names: refused with a specific code', () => {
  it.each([
    ['NUL', 'al\u0000ice'],
    ['ESC', 'al\u001b[31mice'],
    ['DEL', 'alice\u007f'],
    ['a C1 control', 'al\u009bice'],
  ])('control character %s: NAME_CONTROL_CHAR', (_what, name) => {
    expect(refusal(name).code).toBe(ERROR_CODES.NAME_CONTROL_CHAR);
  });

  it.each([
    ['right-to-left override', 'alice\u202etxt'],
    ['left-to-right embedding', '\u202aalice'],
    ['right-to-left isolate', 'al\u2067ice'],
    ['pop directional isolate', 'alice\u2069'],
    ['left-to-right mark', 'alice\u200e'],
    ['right-to-left mark', '\u200falice'],
    ['Arabic letter mark', 'محمد\u061c'],
  ])('bidi control %s: NAME_BIDI_CONTROL', (_what, name) => {
    expect(refusal(name).code).toBe(ERROR_CODES.NAME_BIDI_CONTROL);
  });

  it.each([
    ['zero-width space', 'al\u200bice'],
    ['zero-width non-joiner', 'al\u200cice'],
    ['zero-width joiner', 'al\u200dice'],
    ['word joiner', 'alice\u2060'],
    ['soft hyphen', 'ali\u00adce'],
    ['variation selector 16', 'alice\ufe0f'],
    ['variation selector 1', 'a\ufe00lice'],
    ['an ideographic variation selector', '李\u{e0100}'],
    ['a tag character', 'alice\u{e0041}'],
    ['Hangul filler', 'alice\u3164'],
    ['Mongolian vowel separator', 'alice\u180e'],
    ['combining grapheme joiner', 'ali\u034fce'],
  ])('invisible character %s: NAME_INVISIBLE_CHAR', (_what, name) => {
    expect(refusal(name).code).toBe(ERROR_CODES.NAME_INVISIBLE_CHAR);
  });

  it.each([
    ['Latin with one Cyrillic а', '\u0430lice'],
    ['Latin with Cyrillic о', 'b\u043eb'],
    ['Cyrillic with one Latin a', 'Дмитрaй'],
    ['Latin with Greek ο', 'b\u03bfb'],
    ['Greek with Latin', 'Ωmega'],
    ['Latin with Cherokee (not a Recommended script)', 'Ꭺlice'],
    ['Japanese kana with Hangul', 'ユキ한'],
    ['Arabic with Hebrew', 'محمדוד'],
    ['Latin, Arabic and Thai', 'aمส'],
  ])('mixed scripts, %s: NAME_MIXED_SCRIPT', (_what, name) => {
    expect(refusal(name)).toEqual({ code: ERROR_CODES.NAME_MIXED_SCRIPT, reason: expect.stringMatching(/mixes alphabets/) });
  });

  it.each(['ADMlN', 'adrnin', 'SYSTERN', 'h3re'.replace('3', 'e'), 'everyοne'.replace('ο', 'o'), 'Ｓｙｓｔｅｍ', 'c00rdinator'])(
    'look-alikes of reserved names are reserved: %s',
    (name) => {
      expect(refusal(name)).toEqual({ code: ERROR_CODES.NAME_INVALID, reason: expect.stringMatching(/reserved/) });
    },
  );

  it('keeps NAME_INVALID for the rules that existed before', () => {
    expect(refusal('').code).toBe(ERROR_CODES.NAME_INVALID);
    expect(refusal('two words').code).toBe(ERROR_CODES.NAME_INVALID);
    expect(refusal('alice!').code).toBe(ERROR_CODES.NAME_INVALID);
    expect(refusal('a'.repeat(33)).code).toBe(ERROR_CODES.NAME_INVALID);
    expect(refusal('admin').code).toBe(ERROR_CODES.NAME_INVALID);
  });
});

describe('user names: single-script and allowed mixes stay valid', () => {
  it.each([
    ['Polish', 'Łukasz'],
    ['Spanish', 'José'],
    ['Katakana', 'ユキ'],
    ['Kanji and kana together (Japanese)', '山田さくら'],
    ['Kanji, Hiragana and Katakana', '田中ユキこ'],
    ['Hangul with Hanja (Korean)', '김金'],
    ['Cyrillic', 'Дмитрий'],
    ['Greek', 'Ωμέγα'],
    ['Arabic', 'محمد'],
    ['Cherokee alone', 'ᏣᎳᎩ'],
    ['Latin with Han (highly restrictive)', 'alice李'],
    ['Latin with kana', 'yukiユキ'],
    ['Latin with Arabic-Indic digits (moderately restrictive)', 'user٣٤'],
    ['Latin with Devanagari', 'raviरवि'],
    ['Cyrillic with ASCII digits and _ - .', 'Дмитрий_1.2-3'],
    ['Greek with fullwidth digits', 'Ωμέγα１２'],
  ])('%s: %s', (_what, name) => {
    expect(checkUserName(name)).toEqual({ ok: true, name });
  });
});

describe('look-alike keys', () => {
  it('join names that look alike: the issue 10 cases', () => {
    const key = lookalikeKey('alice');
    expect(lookalikeKey('\u0430lice')).toBe(key); // Cyrillic а
    expect(lookalikeKey('ALICE')).toBe(key);
    expect(lookalikeKey('Alice')).toBe(key);
    expect(lookalikeKey('a1ice')).toBe(key); // digit one for l
    expect(lookalikeKey('ａｌｉｃｅ')).toBe(key); // fullwidth
    expect(lookalikeKey('𝐚𝐥𝐢𝐜𝐞')).toBe(key); // mathematical bold
  });

  it('catch a capital I posing as an l by the key of the name as typed', () => {
    expect(lookalikeKey('AIice')).not.toBe(lookalikeKey('Alice'));
    expect(typedLookalikeKey('AIice')).toBe(typedLookalikeKey('Alice'));
    expect(looksAlike('AIice', 'Alice')).toBe(true);
    expect(looksAlike('AIice', 'alice')).toBe(true);
    expect(lookalikeKeys('AIice')).toEqual({ key: lookalikeKey('AIice'), typedKey: typedLookalikeKey('Alice') });
  });

  it('do not chain case and look-alikes into one: Ali and All stay two names', () => {
    expect(looksAlike('Ali', 'All')).toBe(false);
    expect(looksAlike('bill', 'biii')).toBe(false);
  });

  it.each([
    ['b0b', 'bob'],
    ['rnary', 'mary'],
    ['straße', 'STRASSE'],
    ['ΟΔΟΣ', 'οδος'],
    ['user１２', 'user12'],
    ['ᏣᎳᎩ', 'ᏣᎳᎩ'.toLowerCase()],
    ['Jose\u0301', 'José'],
  ])('%s and %s share a key', (a, b) => {
    expect(lookalikeKey(a)).toBe(lookalikeKey(b));
  });

  it.each([
    ['alice', 'alice2'],
    ['jose', 'josé'],
    ['alice', 'aiice'],
    ['Łukasz', 'Lukasz'],
    ['Дмитрий', 'Дмитрии'],
    ['ユキ', 'ユカ'],
  ])('%s and %s stay apart', (a, b) => {
    expect(lookalikeKey(a)).not.toBe(lookalikeKey(b));
  });

  it('is stable: the key of a key is the key itself', () => {
    for (const name of ['alice', 'AIice', 'admin', 'Дмитрий', 'ΟΔΟΣ', 'ユキ', 'straße', '𝐚𝐥𝐢𝐜𝐞']) {
      expect(lookalikeKey(lookalikeKey(name))).toBe(lookalikeKey(name));
      expect(typedLookalikeKey(typedLookalikeKey(name))).toBe(typedLookalikeKey(name));
    }
  });

  it('settles within its rounds for every character of the confusables table', () => {
    const require = createRequire(import.meta.url);
    const table = JSON.parse(readFileSync(require.resolve('unhomoglyph/data.json'), 'utf8')) as Record<string, string>;
    const unsettled = Object.keys(table).filter((char) => {
      return [foldCase(char.normalize('NFKC')), foldCase(skeleton(char.normalize('NFKC')))].some((start) => {
        let key = start;
        for (let round = 0; round < 4; round += 1) key = foldCase(skeleton(key));
        return foldCase(skeleton(key)) !== key;
      });
    });
    expect(Object.keys(table).length).toBeGreaterThan(6000);
    expect(unsettled).toEqual([]);
  });

  it('leaves nameKey as it was: readable, case-insensitive only', () => {
    expect(nameKey('ALICE')).toBe('alice');
    expect(nameKey('\u0430lice')).not.toBe(nameKey('alice'));
  });
});
