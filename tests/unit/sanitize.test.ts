import { neutralize } from '../../client/ui/sanitize.js';

/** What a terminal would interpret rather than print: C0, DEL, C1, and the bidirectional controls. */
const INTERPRETED = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

describe('neutralize', () => {
  it.each([
    ['ESC', '\u001b', '^['],
    ['BEL', '\u0007', '^G'],
    ['NUL', '\u0000', '^@'],
    ['backspace', '\u0008', '^H'],
    ['a newline', '\n', '^J'],
    ['a carriage return', '\r', '^M'],
    ['a vertical tab', '\u000b', '^K'],
    ['a form feed', '\u000c', '^L'],
    ['DEL', '\u007f', '^?'],
    ['the C1 CSI', '\u009b', '<U+009B>'],
    ['the C1 OSC', '\u009d', '<U+009D>'],
    ['NEL', '\u0085', '<U+0085>'],
    ['a right-to-left override', '\u202e', '<U+202E>'],
    ['a left-to-right embedding', '\u202a', '<U+202A>'],
    ['a pop directional formatting', '\u202c', '<U+202C>'],
    ['a right-to-left isolate', '\u2067', '<U+2067>'],
    ['a pop directional isolate', '\u2069', '<U+2069>'],
    ['a right-to-left mark', '\u200f', '<U+200F>'],
  ])('shows %s as a visible placeholder', (_what, char, shown) => {
    expect(neutralize(`a${char}b`)).toBe(`a${shown}b`);
  });

  it('turns a tab into spaces, so it cannot move the cursor to an arbitrary column', () => {
    expect(neutralize('a\tb')).toBe('a    b');
  });

  it.each([
    ['an ANSI colour', '\u001b[31mred\u001b[0m', '^[[31mred^[[0m'],
    ['a cursor move and clear-screen', '\u001b[2J\u001b[H', '^[[2J^[[H'],
    ['an OSC window title ended by BEL', '\u001b]0;pwned\u0007', '^[]0;pwned^G'],
    ['an OSC hyperlink ended by ST', '\u001b]8;;http://evil\u001b\\click\u001b]8;;\u001b\\', '^[]8;;http://evil^[\\click^[]8;;^[\\'],
    ['a C1 CSI sequence', '\u009b2J', '<U+009B>2J'],
    ['a line overwritten with a carriage return', 'innocent\rFORGED', 'innocent^MFORGED'],
    ['text reversed by an override (Trojan Source)', 'access\u202e nimda\u2066', 'access<U+202E> nimda<U+2066>'],
  ])('neutralises %s', (_what, text, shown) => {
    const out = neutralize(text);
    expect(out).toBe(shown);
    expect(out).not.toMatch(INTERPRETED);
  });

  it('leaves nothing a terminal would interpret, for every C0 and C1 control and every bidi control', () => {
    const controls = [
      ...Array.from({ length: 0x20 }, (_, code) => code),
      ...Array.from({ length: 0x21 }, (_, offset) => 0x7f + offset),
      0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069,
    ];
    for (const code of controls) {
      const out = neutralize(`x${String.fromCodePoint(code)}y`);
      expect(out).not.toMatch(INTERPRETED);
      expect(out.startsWith('x') && out.endsWith('y') && out.length > 2).toBe(true);
    }
  });

  it.each([
    ['plain ASCII with punctuation', 'Hello, world! 1 + 1 = 2; "quoted" \\ back'],
    ['accents and other scripts', 'héllo wörld 日本語 한국어 العربية עברית'],
    ['emoji, including ZWJ sequences, skin tones and flags', '👍🏽 👨‍👩‍👧‍👦 🏳️‍🌈 🇦🇷'],
    ['combining marks', 'cafe\u0301'],
    ['astral-plane letters', '𝕳𝖊𝖑𝖑𝖔'],
  ])('leaves %s unchanged', (_what, text) => {
    expect(neutralize(text)).toBe(text);
  });

  it('is stable: what it returns is returned unchanged', () => {
    const once = neutralize('\u001b[31m\u009b\u202e\t\r\nx');
    expect(neutralize(once)).toBe(once);
  });
});

describe('neutralize, directional marks', () => {
  it('shows the Arabic letter mark like the other directional marks', async () => {
    const { neutralize } = await import('../../client/ui/sanitize.js');
    expect(neutralize('a\u061cb')).toBe('a<U+061C>b');
  });
});
