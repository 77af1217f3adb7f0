import { ERROR_CODES, LIMITS, decodeChat, decodeCommand, type Decoded, type ErrorCode } from '../../shared/index.js';
import { SAMPLE_TOKEN, SAMPLE_TS, bytes, chatMessage, loginRequest, without } from '../support/samples.js';

function refusal<T>(decoded: Decoded<T>): { code: ErrorCode; message: string; requestId?: string } {
  if (decoded.ok) throw new Error(`expected a refusal, got ${JSON.stringify(decoded.value)}`);
  return decoded;
}

function accepted<T>(decoded: Decoded<T>): T {
  if (!decoded.ok) throw new Error(`expected acceptance, got ${decoded.code}: ${decoded.message}`);
  return decoded.value;
}

/** A chat body padded with JSON whitespace to exactly `size` bytes. */
function chatOfSize(size: number): Buffer {
  const json = JSON.stringify(chatMessage());
  return Buffer.from(json + ' '.repeat(size - Buffer.byteLength(json)), 'utf8');
}

describe('decode: size limit', () => {
  it(`accepts a body of exactly ${LIMITS.maxPayloadBytes} bytes`, () => {
    expect(accepted(decodeChat(chatOfSize(LIMITS.maxPayloadBytes))).text).toBe('hello');
  });

  it.each<[string, (body: Buffer) => Decoded<unknown>]>([
    ['chat', decodeChat],
    ['command', decodeCommand],
  ])('refuses one byte more on the %s queue with PAYLOAD_TOO_LARGE, before parsing', (_queue, decode) => {
    const refused = refusal(decode(chatOfSize(LIMITS.maxPayloadBytes + 1)));
    expect(refused.code).toBe(ERROR_CODES.PAYLOAD_TOO_LARGE);
    expect(refused.message).toContain(String(LIMITS.maxPayloadBytes));
    // Not parsed at all, so not even the id is read.
    expect(refused.requestId).toBeUndefined();
  });
});

describe('decode: not JSON', () => {
  it.each([
    ['plain text', 'hello there'],
    ['an empty body', ''],
    ['truncated JSON', '{"type":"chat","id":'],
    ['single quotes', "{'type':'chat'}"],
    ['a trailing comma', '{"type":"chat",}'],
    ['two objects', '{"type":"chat"}{"type":"chat"}'],
    ['bytes that are not UTF-8 at all', Buffer.from([0xff, 0xfe, 0x00, 0x7b])],
  ])('refuses %s with MALFORMED_JSON on both queues', (_what, body) => {
    const raw = typeof body === 'string' ? bytes(body) : body;
    expect(refusal(decodeChat(raw)).code).toBe(ERROR_CODES.MALFORMED_JSON);
    expect(refusal(decodeCommand(raw)).code).toBe(ERROR_CODES.MALFORMED_JSON);
  });

  it('refuses JSON whose strings hold bytes that are not UTF-8, instead of silently altering the text', () => {
    const json = Buffer.from(JSON.stringify(chatMessage({ text: 'XX' })), 'utf8');
    const at = json.indexOf('XX');
    json[at] = 0xc3; // a lead byte followed by an ASCII byte: invalid UTF-8
    expect(refusal(decodeChat(json)).code).toBe(ERROR_CODES.MALFORMED_JSON);
  });
});

describe('decode: not a message object', () => {
  it.each([
    ['a JSON array', []],
    ['an array holding a valid message', [chatMessage()]],
    ['a number', 42],
    ['a string', 'chat'],
    ['null', null],
    ['true', true],
  ])('refuses %s with INVALID_MESSAGE', (_what, value) => {
    const refused = refusal(decodeChat(bytes(JSON.stringify(value))));
    expect(refused.code).toBe(ERROR_CODES.INVALID_MESSAGE);
    expect(refused.message).toMatch(/object/);
    expect(refusal(decodeCommand(bytes(JSON.stringify(value)))).code).toBe(ERROR_CODES.INVALID_MESSAGE);
  });

  it.each([
    ['no type', without(chatMessage(), 'type')],
    ['a numeric type', chatMessage({ type: 7 })],
    ['a null type', chatMessage({ type: null })],
    ['an object as type', chatMessage({ type: { name: 'chat' } })],
  ])('refuses a message with %s with INVALID_MESSAGE', (_what, message) => {
    const refused = refusal(decodeChat(bytes(message)));
    expect(refused.code).toBe(ERROR_CODES.INVALID_MESSAGE);
    expect(refused.message).toContain('type');
  });
});

describe('decode: unknown type', () => {
  it('refuses a type nobody knows with UNKNOWN_TYPE naming the types this queue takes', () => {
    const refused = refusal(decodeChat(bytes(chatMessage({ type: 'shout' }))));
    expect(refused.code).toBe(ERROR_CODES.UNKNOWN_TYPE);
    expect(refused.message).toContain('"shout"');
    expect(refused.message).toContain('chat');
  });

  it('refuses a command sent to the chat queue, and a chat message sent to the command queue', () => {
    expect(refusal(decodeChat(bytes(loginRequest()))).code).toBe(ERROR_CODES.UNKNOWN_TYPE);
    const refused = refusal(decodeCommand(bytes(chatMessage())));
    expect(refused.code).toBe(ERROR_CODES.UNKNOWN_TYPE);
    expect(refused.message).toContain('login');
  });

  it('quotes at most 40 characters of the unknown type, so a refusal cannot be made huge', () => {
    const refused = refusal(decodeCommand(bytes(loginRequest({ type: 'x'.repeat(5000) }))));
    expect(refused.code).toBe(ERROR_CODES.UNKNOWN_TYPE);
    expect(refused.message).toContain(`"${'x'.repeat(40)}"`);
    expect(refused.message).not.toContain('x'.repeat(41));
  });

  it('matches types exactly: no case folding, no padding', () => {
    expect(refusal(decodeChat(bytes(chatMessage({ type: 'CHAT' })))).code).toBe(ERROR_CODES.UNKNOWN_TYPE);
    expect(refusal(decodeChat(bytes(chatMessage({ type: ' chat' })))).code).toBe(ERROR_CODES.UNKNOWN_TYPE);
  });
});

describe('decode: chat messages with wrong fields', () => {
  it.each(['id', 'token', 'from', 'text', 'clientTs'])('refuses a chat message without %s, naming the field', (field) => {
    const refused = refusal(decodeChat(bytes(without(chatMessage(), field))));
    expect(refused.code).toBe(ERROR_CODES.INVALID_MESSAGE);
    expect(refused.message).toContain(field);
  });

  it.each([
    ['a numeric text', { text: 42 }, 'text'],
    ['a null text', { text: null }, 'text'],
    ['a numeric token', { token: 1234567890123456 }, 'token'],
    ['a token too short to be one', { token: 'short' }, 'token'],
    ['a token over 128 characters', { token: 't'.repeat(129) }, 'token'],
    ['an empty sender', { from: '' }, 'from'],
    ['a sender over 64 characters', { from: 'a'.repeat(65) }, 'from'],
    ['an id with spaces', { id: 'my id' }, 'id'],
    ['an id over 64 characters', { id: 'i'.repeat(65) }, 'id'],
    ['an empty id', { id: '' }, 'id'],
    ['an empty room', { room: '' }, 'room'],
    ['a numeric room', { room: 1 }, 'room'],
  ])('refuses %s with INVALID_MESSAGE naming the field', (_what, change, field) => {
    const refused = refusal(decodeChat(bytes(chatMessage(change))));
    expect(refused.code).toBe(ERROR_CODES.INVALID_MESSAGE);
    expect(refused.message).toContain(field);
  });

  it.each([
    ['an extra field', { admin: true }],
    ['a field of another message type', { requestId: 'req-1' }],
    ['a prototype-pollution key', JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>],
  ])('refuses %s: messages are strict', (_what, change) => {
    const body = Buffer.from(JSON.stringify(chatMessage()).replace(/}$/, `,${JSON.stringify(change).slice(1, -1)}}`), 'utf8');
    expect(refusal(decodeChat(body)).code).toBe(ERROR_CODES.INVALID_MESSAGE);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['without milliseconds', '2024-05-01T12:00:00Z'],
    ['with microseconds', '2024-05-01T12:00:00.000000Z'],
    ['with an offset instead of Z', '2024-05-01T14:00:00.000+02:00'],
    ['without a zone', '2024-05-01T12:00:00.000'],
    ['with a space for T', '2024-05-01 12:00:00.000Z'],
    ['as a date only', '2024-05-01'],
    ['with month 13', '2024-13-01T12:00:00.000Z'],
    ['with hour 25', '2024-05-01T25:00:00.000Z'],
    ['as epoch milliseconds', 1714564800000],
    ['as words', 'yesterday'],
    ['empty', ''],
  ])('refuses a client timestamp %s', (_what, clientTs) => {
    const refused = refusal(decodeChat(bytes(chatMessage({ clientTs }))));
    expect(refused.code).toBe(ERROR_CODES.INVALID_MESSAGE);
    expect(refused.message).toContain('clientTs');
  });
});

describe('decode: chat text', () => {
  it.each([
    ['empty', ''],
    ['only spaces', '   '],
    ['only whitespace of several kinds', ' \t\n\r\u00a0\u3000'],
  ])('refuses text that is %s with TEXT_EMPTY', (_what, text) => {
    const refused = refusal(decodeChat(bytes(chatMessage({ text }))));
    expect(refused.code).toBe(ERROR_CODES.TEXT_EMPTY);
    expect(refused.requestId).toBe('msg-1');
  });

  it(`refuses ${LIMITS.maxTextLength + 1} characters with TEXT_TOO_LONG and accepts ${LIMITS.maxTextLength}`, () => {
    const refused = refusal(decodeChat(bytes(chatMessage({ text: 'a'.repeat(LIMITS.maxTextLength + 1) }))));
    expect(refused.code).toBe(ERROR_CODES.TEXT_TOO_LONG);
    expect(refused.message).toContain(String(LIMITS.maxTextLength));
    expect(refused.requestId).toBe('msg-1');
    expect(accepted(decodeChat(bytes(chatMessage({ text: 'a'.repeat(LIMITS.maxTextLength) })))).text).toHaveLength(LIMITS.maxTextLength);
  });

  it('counts characters (code points), not UTF-16 units or bytes', () => {
    // Each emoji is 2 UTF-16 units and 4 bytes: the limit is about what people see.
    const atLimit = '😀'.repeat(LIMITS.maxTextLength);
    expect(accepted(decodeChat(bytes(chatMessage({ text: atLimit })))).text).toBe(atLimit);
    const over = refusal(decodeChat(bytes(chatMessage({ text: `${atLimit}😀` }))));
    expect(over.code).toBe(ERROR_CODES.TEXT_TOO_LONG);
  });
});

describe('decode: accepted shapes', () => {
  it('accepts a chat message and puts it in the default room', () => {
    expect(accepted(decodeChat(bytes(chatMessage())))).toEqual({ ...chatMessage(), room: 'general' });
  });

  it('keeps text exactly as sent: Unicode, emoji, quotes, newlines and escape sequences', () => {
    const text = 'héllo 世界 👩‍👩‍👧 "quoted" \\ back\nnew line \u001b[31mred\u001b[0m \u0007 \u202etxt.exe';
    expect(accepted(decodeChat(bytes(chatMessage({ text })))).text).toBe(text);
  });

  it('accepts a chat message naming its room', () => {
    expect(accepted(decodeChat(bytes(chatMessage({ room: 'general' })))).room).toBe('general');
  });

  it.each([
    ['login', loginRequest()],
    ['login with the client time', loginRequest({ clientTs: SAMPLE_TS })],
    ['users', { type: 'users', requestId: 'r', token: SAMPLE_TOKEN }],
    ['mymsgs', { type: 'mymsgs', requestId: 'r', token: SAMPLE_TOKEN }],
    ['mymsgs with a limit', { type: 'mymsgs', requestId: 'r', token: SAMPLE_TOKEN, limit: LIMITS.maxHistoryPage }],
    ['history', { type: 'history', requestId: 'r', token: SAMPLE_TOKEN, room: 'general' }],
    ['history after a seq', { type: 'history', requestId: 'r', token: SAMPLE_TOKEN, room: 'general', afterSeq: 0, limit: 1 }],
    ['logout', { type: 'logout', requestId: 'r', token: SAMPLE_TOKEN }],
    ['heartbeat', { type: 'heartbeat', requestId: 'r', token: SAMPLE_TOKEN }],
    ['heartbeat without a request id', { type: 'heartbeat', token: SAMPLE_TOKEN }],
  ])('accepts %s on the command queue', (_what, request) => {
    expect(accepted(decodeCommand(bytes(request)))).toMatchObject(request);
  });

  it('fills in the default room of history', () => {
    expect(accepted(decodeCommand(bytes({ type: 'history', requestId: 'r', token: SAMPLE_TOKEN })))).toMatchObject({ room: 'general' });
  });
});

describe('decode: commands with wrong fields', () => {
  it.each([
    ['login without a name', without(loginRequest(), 'name')],
    ['login without a client id', without(loginRequest(), 'clientId')],
    ['login without a request id', without(loginRequest(), 'requestId')],
    ['login with a client id that cannot name a queue', loginRequest({ clientId: 'a.b' })],
    ['login with an extra field', loginRequest({ token: SAMPLE_TOKEN })],
    ['login with a bad client time', loginRequest({ clientTs: '2024-05-01T12:00:00Z' })],
    ['users without a token', { type: 'users', requestId: 'r' }],
    ['mymsgs with a limit of 0', { type: 'mymsgs', requestId: 'r', token: SAMPLE_TOKEN, limit: 0 }],
    ['mymsgs with a limit over the page size', { type: 'mymsgs', requestId: 'r', token: SAMPLE_TOKEN, limit: LIMITS.maxHistoryPage + 1 }],
    ['history with a fractional afterSeq', { type: 'history', requestId: 'r', token: SAMPLE_TOKEN, afterSeq: 1.5 }],
    ['history with a negative afterSeq', { type: 'history', requestId: 'r', token: SAMPLE_TOKEN, afterSeq: -1 }],
    ['history with a string limit', { type: 'history', requestId: 'r', token: SAMPLE_TOKEN, limit: '10' }],
    ['logout without a token', { type: 'logout', requestId: 'r' }],
    ['heartbeat with an extra field', { type: 'heartbeat', token: SAMPLE_TOKEN, alive: true }],
  ])('refuses %s with INVALID_MESSAGE', (_what, request) => {
    expect(refusal(decodeCommand(bytes(request))).code).toBe(ERROR_CODES.INVALID_MESSAGE);
  });
});

describe('decode: the id of a refused request', () => {
  it('is reported when readable, so the refusal reaches the request that caused it', () => {
    expect(refusal(decodeCommand(bytes(without(loginRequest({ requestId: 'req-42' }), 'name')))).requestId).toBe('req-42');
    expect(refusal(decodeChat(bytes(without(chatMessage({ id: 'msg-42' }), 'clientTs')))).requestId).toBe('msg-42');
    expect(refusal(decodeCommand(bytes(loginRequest({ type: 'dance', requestId: 'req-43' })))).requestId).toBe('req-43');
  });

  it('is left out when it is not a well-formed id, so nothing hostile is echoed back', () => {
    expect(refusal(decodeCommand(bytes(without(loginRequest({ requestId: 'bad id\n' }), 'name')))).requestId).toBeUndefined();
    expect(refusal(decodeCommand(bytes(without(loginRequest({ requestId: 7 }), 'name')))).requestId).toBeUndefined();
    expect(refusal(decodeCommand(bytes(without(loginRequest({ requestId: 'r'.repeat(65) }), 'name')))).requestId).toBeUndefined();
  });
});

/** Bodies written by hand: JSON's \u escapes are the only way to carry a lone surrogate. */
const chatWithEscapedText = (escapedText: string): Buffer =>
  Buffer.from(`{"type":"chat","id":"m1","token":"tok_0123456789abcdefghij","from":"alice","text":"${escapedText}","clientTs":"2024-05-01T12:00:00.000Z"}`);

describe('decode: text must be Unicode', () => {
  it.each([
    ['a lone high surrogate', 'a\\ud800b'],
    ['a lone low surrogate', 'a\\udc00b'],
    ['a pair in the wrong order', '\\ude00\\ud83d'],
    ['a high surrogate at the end', 'end\\ud83d'],
  ])('refuses %s with INVALID_MESSAGE, since it could not be stored as sent', (_what, escaped) => {
    const decoded = decodeChat(chatWithEscapedText(escaped));
    expect(decoded).toMatchObject({ ok: false, code: ERROR_CODES.INVALID_MESSAGE, requestId: 'm1' });
    expect(decoded.ok ? '' : decoded.message).toMatch(/^text: .*surrogate/);
  });

  it('accepts a surrogate pair written as escapes: it is an ordinary emoji', () => {
    expect(decodeChat(chatWithEscapedText('\\ud83d\\ude00 ok'))).toMatchObject({ ok: true, value: { text: '😀 ok' } });
  });

  it('refuses a lone surrogate in the new text of an edit too', () => {
    const edit = Buffer.from('{"type":"edit","requestId":"e1","token":"tok_0123456789abcdefghij","num":1,"text":"x\\udfffy"}');
    expect(decodeCommand(edit)).toMatchObject({ ok: false, code: ERROR_CODES.INVALID_MESSAGE, requestId: 'e1' });
  });
});
