import { LIMITS, checkUserName, nameKey } from '../../shared/index.js';

function reason(raw: string): string {
  const check = checkUserName(raw);
  if (check.ok) throw new Error(`expected ${JSON.stringify(raw)} to be refused`);
  return check.reason;
}

describe('user names: refused', () => {
  it('refuses the empty name', () => {
    expect(reason('')).toMatch(/empty/);
  });

  it.each([
    ['a space inside', 'john smith'],
    ['a leading space', ' alice'],
    ['a trailing space', 'alice '],
    ['only a space', ' '],
    ['a tab', 'al\tice'],
    ['a newline', 'alice\n'],
    ['a carriage return', 'al\rice'],
    ['a no-break space', 'al\u00a0ice'],
    ['an ideographic space', 'al\u3000ice'],
    ['an em space', 'al\u2003ice'],
  ])('refuses a name with %s', (_what, name) => {
    expect(reason(name)).toMatch(/space/);
  });

  it.each([
    ['NUL', 'al\u0000ice'],
    ['ESC (a terminal escape sequence)', 'al\u001b[31mice'],
    ['BEL', 'alice\u0007'],
    ['DEL', 'alice\u007f'],
    ['a C1 control (CSI)', 'al\u009bice'],
  ])('refuses a name with the control character %s', (_what, name) => {
    expect(reason(name)).toMatch(/control|invisible/);
  });

  it.each([
    ['zero-width space', 'al\u200bice'],
    ['zero-width non-joiner', 'al\u200cice'],
    ['zero-width joiner', 'al\u200dice'],
    ['word joiner', 'alice\u2060'],
    ['byte order mark', '\ufeffalice'],
    ['soft hyphen', 'ali\u00adce'],
    ['right-to-left override', 'alice\u202etxt'],
    ['left-to-right mark', 'alice\u200e'],
    ['Hangul filler (renders as nothing)', 'alice\u3164'],
    ['a name made only of Hangul fillers', '\u3164\u3164'],
    ['halfwidth Hangul filler', 'alice\uffa0'],
  ])('refuses a name with an invisible character: %s', (_what, name) => {
    // U+FEFF also counts as white space; either reason is a refusal.
    expect(reason(name)).toMatch(/control|invisible|space/);
  });

  it(`refuses more than ${LIMITS.maxNameLength} characters, counting characters rather than bytes`, () => {
    expect(reason('a'.repeat(LIMITS.maxNameLength + 1))).toMatch(String(LIMITS.maxNameLength));
    expect(reason('界'.repeat(LIMITS.maxNameLength + 1))).toMatch(String(LIMITS.maxNameLength));
  });

  it.each([
    ['punctuation', 'alice!'],
    ['a slash', 'a/b'],
    ['an at sign', 'a@b'],
    ['an emoji', 'alice😀'],
    ['only an emoji', '😀'],
    ['a leading underscore', '_alice'],
    ['a leading dot', '.alice'],
    ['a leading dash', '-alice'],
    ['a leading combining mark', '\u0301alice'],
    ['quotes', '"alice"'],
    ['a colon', 'a:b'],
  ])('refuses a name with %s', (_what, name) => {
    expect(reason(name)).toMatch(/letters and digits/);
  });

  it.each(['system', 'server', 'warren', 'coordinator', 'admin', 'everyone', 'here', 'Admin', 'SYSTEM', 'eVeRyOnE'])(
    'refuses the reserved name %s in any letter case',
    (name) => {
      expect(reason(name)).toMatch(/reserved/);
    },
  );
});

describe('user names: accepted', () => {
  it.each([
    ['plain ASCII', 'alice'],
    ['mixed case', 'Alice'],
    ['digits only', '42'],
    ['a leading digit', '2pac'],
    ['_ - . after the first character', 'a.b-c_d'],
    ['Latin with accents', 'José'],
    ['Polish', 'Łukasz'],
    ['Greek', 'Ωμέγα'],
    ['Cyrillic', 'Борис'],
    ['Chinese', '李雷'],
    ['Japanese kana', 'さくら'],
    ['Arabic', 'محمد'],
    ['Hebrew', 'דוד'],
    ['Devanagari with vowel signs', 'देवी'],
    ['Thai', 'สมชาย'],
    ['Arabic-Indic digits', 'user٣٤'],
    ['fullwidth digits', 'user１２'],
    ['a name that merely contains a reserved word', 'admin2'],
  ])('accepts %s: %s', (_what, name) => {
    expect(checkUserName(name)).toEqual({ ok: true, name });
  });

  it(`accepts exactly ${LIMITS.maxNameLength} characters, also of multi-byte letters`, () => {
    expect(checkUserName('a'.repeat(LIMITS.maxNameLength)).ok).toBe(true);
    expect(checkUserName('界'.repeat(LIMITS.maxNameLength)).ok).toBe(true);
  });

  it('normalises to NFC, so an accent typed as a combining mark is the same name', () => {
    const decomposed = 'Jose\u0301';
    expect(checkUserName(decomposed)).toEqual({ ok: true, name: 'José' });
    // 33 code points decomposed, 32 composed: the limit applies to the name as stored.
    expect(checkUserName(`${'a'.repeat(31)}e\u0301`).ok).toBe(true);
  });
});

describe('name keys', () => {
  it('are case-insensitive', () => {
    expect(nameKey('Alice')).toBe(nameKey('alice'));
    expect(nameKey('ALICE')).toBe(nameKey('aLiCe'));
    expect(nameKey('ΩΜΈΓΑ')).toBe(nameKey('ωμέγα'));
    expect(nameKey('БОРИС')).toBe(nameKey('борис'));
  });

  it('are insensitive to the Unicode composition of the same letters', () => {
    expect(nameKey('Jose\u0301')).toBe(nameKey('José'));
    expect(nameKey('JOSE\u0301')).toBe(nameKey('josé'));
  });

  it('keep different names apart', () => {
    expect(nameKey('alice')).not.toBe(nameKey('alice2'));
    expect(nameKey('jose')).not.toBe(nameKey('josé'));
  });
});
