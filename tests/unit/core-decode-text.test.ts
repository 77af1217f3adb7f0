import { ERROR_CODES, decodeChat, decodeCommand } from '../../shared/index.js';

/** Bodies written by hand: JSON's \u escapes are the only way to carry a lone surrogate. */
const chat = (escapedText: string): Buffer =>
  Buffer.from(`{"type":"chat","id":"m1","token":"tok_0123456789abcdefghij","from":"alice","text":"${escapedText}","clientTs":"2024-05-01T12:00:00.000Z"}`);

describe('decode: text must be Unicode', () => {
  it.each([
    ['a lone high surrogate', 'a\\ud800b'],
    ['a lone low surrogate', 'a\\udc00b'],
    ['a pair in the wrong order', '\\ude00\\ud83d'],
    ['a high surrogate at the end', 'end\\ud83d'],
  ])('refuses %s with INVALID_MESSAGE, since it could not be stored as sent', (_what, escaped) => {
    const decoded = decodeChat(chat(escaped));
    expect(decoded).toMatchObject({ ok: false, code: ERROR_CODES.INVALID_MESSAGE, requestId: 'm1' });
    expect(decoded.ok ? '' : decoded.message).toMatch(/^text: .*surrogate/);
  });

  it('accepts a surrogate pair written as escapes: it is an ordinary emoji', () => {
    expect(decodeChat(chat('\\ud83d\\ude00 ok'))).toMatchObject({ ok: true, value: { text: '😀 ok' } });
  });

  it('refuses a lone surrogate in the new text of an edit too', () => {
    const edit = Buffer.from('{"type":"edit","requestId":"e1","token":"tok_0123456789abcdefghij","num":1,"text":"x\\udfffy"}');
    expect(decodeCommand(edit)).toMatchObject({ ok: false, code: ERROR_CODES.INVALID_MESSAGE, requestId: 'e1' });
  });
});
