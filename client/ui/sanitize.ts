/**
 * Makes untrusted text safe to print on a terminal: every control character (C0, DEL, C1) and
 * every bidirectional override is shown as a visible placeholder instead of being interpreted,
 * so no message or name can move the cursor, change colours, set the title or reorder text.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

export function neutralize(text: string): string {
  return text.replace(UNSAFE, (char) => {
    const code = char.codePointAt(0) ?? 0;
    if (code === 0x09) return '    ';
    if (code < 0x20) return `^${String.fromCharCode(code + 0x40)}`;
    if (code === 0x7f) return '^?';
    return `<U+${code.toString(16).toUpperCase().padStart(4, '0')}>`;
  });
}
