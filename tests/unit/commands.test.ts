import { COMMAND_NAMES, parseInput } from '../../client/commands.js';
import { ERROR_CODES, LIMITS, isWarrenError, type ErrorCode } from '../../shared/index.js';

/** The WarrenError `parseInput` throws for a line, failing the test if it throws nothing or something else. */
function refusal(line: string): { code: ErrorCode; message: string } {
  try {
    parseInput(line);
  } catch (err) {
    if (isWarrenError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error(`expected ${JSON.stringify(line)} to be refused`);
}

describe('parseInput: the commands of the core chat', () => {
  it.each([
    ['/users', 'users'],
    ['/mymsgs', 'mymsgs'],
    ['/help', 'help'],
    ['/exit', 'exit'],
  ] as const)('reads %s', (line, name) => {
    expect(parseInput(line)).toEqual({ kind: 'command', name });
  });

  it.each([
    ['/quit', 'exit'],
    ['/q', 'exit'],
    ['/who', 'users'],
    ['/?', 'help'],
    ['/USERS', 'users'],
    ['/MyMsgs', 'mymsgs'],
    ['/exit\n', 'exit'],
    ['/exit\r\n', 'exit'],
    ['/users   ', 'users'],
  ] as const)('reads %j as /%s (aliases, any letter case, line ends and trailing blanks)', (line, name) => {
    expect(parseInput(line)).toEqual({ kind: 'command', name });
  });

  it.each(['/users now', '/mymsgs all', '/exit please', '/help me'])('refuses arguments to a command that takes none: %j', (line) => {
    const { code, message } = refusal(line);
    expect(code).toBe(ERROR_CODES.COMMAND_USAGE);
    expect(message).toMatch(/usage: \/\w+/);
  });
});

describe('parseInput: /history N', () => {
  it('reads /history without a count as the default', () => {
    expect(parseInput('/history')).toEqual({ kind: 'command', name: 'history', count: undefined });
  });

  it.each([
    ['/history 1', 1],
    ['/history 20', 20],
    [`/history ${LIMITS.maxHistoryPage}`, LIMITS.maxHistoryPage],
  ])('reads %j', (line, count) => {
    expect(parseInput(line)).toEqual({ kind: 'command', name: 'history', count });
  });

  it.each(['/history 0', '/history -3', '/history 2.5', '/history ten', '/history 05', `/history ${LIMITS.maxHistoryPage + 1}`, '/history 10000', '/history 3 4'])(
    'refuses %j with COMMAND_USAGE naming the range',
    (line) => {
      const { code, message } = refusal(line);
      expect(code).toBe(ERROR_CODES.COMMAND_USAGE);
      expect(message).toContain('/history');
      expect(message).toContain(String(LIMITS.maxHistoryPage));
    },
  );
});

describe('parseInput: unknown commands', () => {
  it.each(['/frobnicate', '/user', '/exitt', '/', '/ users', '/🙂'])('refuses %j with UNKNOWN_COMMAND naming the valid commands', (line) => {
    const { code, message } = refusal(line);
    expect(code).toBe(ERROR_CODES.UNKNOWN_COMMAND);
    for (const name of ['users', 'mymsgs', 'history', 'help', 'exit']) expect(message).toContain(`/${name}`);
    expect(COMMAND_NAMES).toEqual(expect.arrayContaining(['users', 'mymsgs', 'history', 'help', 'exit']));
  });

  it('names the unknown command in the refusal', () => {
    expect(refusal('/frobnicate now').message).toMatch(/unknown command \/frobnicate/);
  });
});

describe('parseInput: plain lines', () => {
  it.each([
    ['hello', 'hello'],
    ['hello /users', 'hello /users'],
    ['héllo 👋 世界', 'héllo 👋 世界'],
    ['  indented', '  indented'],
    ['ends with a newline\n', 'ends with a newline'],
  ])('sends %j as it is', (line, text) => {
    expect(parseInput(line)).toEqual({ kind: 'say', text });
  });

  it.each([
    ['//users', '/users'],
    ['//', '/'],
    ['// a slash and a space', '/ a slash and a space'],
    ['///triple', '//triple'],
  ])('sends %j, escaped with //, as a line starting with one slash', (line, text) => {
    expect(parseInput(line)).toEqual({ kind: 'say', text });
  });

  it.each(['', '   ', '\t', '\n', '\r\n'])('reads the blank line %j as nothing to send', (line) => {
    expect(parseInput(line)).toEqual({ kind: 'empty' });
  });

  it(`accepts ${LIMITS.maxTextLength} characters and refuses one more with TEXT_TOO_LONG`, () => {
    expect(parseInput('a'.repeat(LIMITS.maxTextLength))).toEqual({ kind: 'say', text: 'a'.repeat(LIMITS.maxTextLength) });
    const { code, message } = refusal('a'.repeat(LIMITS.maxTextLength + 1));
    expect(code).toBe(ERROR_CODES.TEXT_TOO_LONG);
    expect(message).toContain(String(LIMITS.maxTextLength));
  });

  it('counts characters, not UTF-16 units: the limit in emoji is the same as in letters', () => {
    expect(parseInput('😀'.repeat(LIMITS.maxTextLength))).toMatchObject({ kind: 'say' });
    expect(refusal('😀'.repeat(LIMITS.maxTextLength + 1)).code).toBe(ERROR_CODES.TEXT_TOO_LONG);
  });

  it('applies the limit to a //-escaped line too', () => {
    expect(refusal(`//${'a'.repeat(LIMITS.maxTextLength)}`).code).toBe(ERROR_CODES.TEXT_TOO_LONG);
  });
});

describe('parseInput: private messages', () => {
  it.each([
    ['/msg bob hello there', 'bob', 'hello there'],
    ['/msg @bob hello there', 'bob', 'hello there'],
    ['/query bob  two  spaces kept', 'bob', 'two  spaces kept'],
    ['$private bob hello there', 'bob', 'hello there'],
    ['$PRIVATE bob hello there', 'bob', 'hello there'],
  ])('%s', (line, to, text) => {
    expect(parseInput(line)).toEqual({ kind: 'private', to, text });
  });

  it('parses $private exactly as /msg', () => {
    expect(parseInput('$private Ana ¿qué tal?')).toEqual(parseInput('/msg Ana ¿qué tal?'));
  });

  it.each(['/msg', '/msg bob', '/msg bob   ', '$private', '$private bob', '$private   bob  '])('refuses %j with COMMAND_USAGE', (line) => {
    const { code, message } = refusal(line);
    expect(code).toBe(ERROR_CODES.COMMAND_USAGE);
    expect(message).toContain('/msg USER TEXT');
  });

  it('refuses a private message over the length limit', () => {
    expect(refusal(`/msg bob ${'x'.repeat(LIMITS.maxTextLength + 1)}`).code).toBe(ERROR_CODES.TEXT_TOO_LONG);
  });

  it('does not take $privateer as the command', () => {
    expect(parseInput('$privateer ahoy')).toEqual({ kind: 'say', text: '$privateer ahoy' });
  });
});

describe('parseInput: rooms', () => {
  it.each([
    ['/create lounge', { kind: 'command', name: 'create', room: 'lounge', secret: false }],
    ['/create lounge --secret', { kind: 'command', name: 'create', room: 'lounge', secret: true }],
    ['/create --secret lounge', { kind: 'command', name: 'create', room: 'lounge', secret: true }],
    ['/join lounge', { kind: 'command', name: 'join', room: 'lounge' }],
    ['/room #lounge', { kind: 'command', name: 'room', room: '#lounge' }],
    ['/switch lounge', { kind: 'command', name: 'room', room: 'lounge' }],
    ['/leave', { kind: 'command', name: 'leave', room: undefined }],
    ['/leave lounge', { kind: 'command', name: 'leave', room: 'lounge' }],
    ['/part lounge', { kind: 'command', name: 'leave', room: 'lounge' }],
    ['/rooms', { kind: 'command', name: 'rooms' }],
    ['/invite bob', { kind: 'command', name: 'invite', user: 'bob', room: undefined }],
    ['/invite @bob lounge', { kind: 'command', name: 'invite', user: 'bob', room: 'lounge' }],
    ['/kick bob lounge', { kind: 'command', name: 'kick', user: 'bob', room: 'lounge' }],
    ['/promote @bob', { kind: 'command', name: 'promote', user: 'bob', room: undefined }],
    ['/whois @bob', { kind: 'command', name: 'whois', user: 'bob' }],
  ])('%s', (line, expected) => {
    expect(parseInput(line)).toEqual(expected);
  });

  it.each([
    ['/create', '/create ROOM [--secret]'],
    ['/create --secret', '/create ROOM [--secret]'],
    ['/create one two', '/create ROOM [--secret]'],
    ['/create lounge --private', '/create ROOM [--secret]'],
    ['/join', '/join ROOM'],
    ['/join a b', '/join ROOM'],
    ['/room', '/room ROOM'],
    ['/room a b', '/room ROOM'],
    ['/leave a b', '/leave [ROOM]'],
    ['/rooms all', '/rooms'],
    ['/invite', '/invite USER [ROOM]'],
    ['/invite a b c', '/invite USER [ROOM]'],
    ['/kick', '/kick USER [ROOM]'],
    ['/kick a b c', '/kick USER [ROOM]'],
    ['/promote', '/promote USER [ROOM]'],
    ['/promote a b c', '/promote USER [ROOM]'],
    ['/whois', '/whois USER'],
    ['/whois a b', '/whois USER'],
  ])('refuses %j with COMMAND_USAGE and its usage line', (line, usage) => {
    const { code, message } = refusal(line);
    expect(code).toBe(ERROR_CODES.COMMAND_USAGE);
    expect(message).toContain(usage);
  });
});

describe('parseInput: message life cycle', () => {
  it.each([
    ['/edit 12 new text here', { kind: 'command', name: 'edit', num: 12, text: 'new text here' }],
    ['/edit (12) keeps  inner  spaces', { kind: 'command', name: 'edit', num: 12, text: 'keeps  inner  spaces' }],
    ['/edit #7 x', { kind: 'command', name: 'edit', num: 7, text: 'x' }],
    ['/delete 7', { kind: 'command', name: 'delete', num: 7 }],
    ['/del (7)', { kind: 'command', name: 'delete', num: 7 }],
    ['/history', { kind: 'command', name: 'history', count: undefined }],
    ['/history 5', { kind: 'command', name: 'history', count: 5 }],
    [`/history ${LIMITS.maxHistoryPage}`, { kind: 'command', name: 'history', count: LIMITS.maxHistoryPage }],
    ['/roomttl off', { kind: 'command', name: 'roomttl', ttlMs: null, room: undefined }],
    ['/roomttl OFF lounge', { kind: 'command', name: 'roomttl', ttlMs: null, room: 'lounge' }],
    ['/roomttl 1h lounge', { kind: 'command', name: 'roomttl', ttlMs: 3_600_000, room: 'lounge' }],
  ])('%s', (line, expected) => {
    expect(parseInput(line)).toEqual(expected);
  });

  it.each([
    ['/ttl 30s gone soon', 30_000, 'gone soon'],
    ['/ttl 1s x', 1000, 'x'],
    ['/ttl 5m  two  spaces', 300_000, 'two  spaces'],
    ['/ttl 1h30m later', 5_400_000, 'later'],
    ['/ttl 2H shouting', 7_200_000, 'shouting'],
    ['/ttl 7d a week', 604_800_000, 'a week'],
  ])('%s sends a message with a time-to-live', (line, ttlMs, text) => {
    expect(parseInput(line)).toEqual({ kind: 'say', text, ttlMs });
  });

  it.each([
    ['/edit', '/edit ID TEXT'],
    ['/edit 12', '/edit ID TEXT'],
    ['/edit abc new text', '/edit ID TEXT'],
    ['/edit 0 new text', '/edit ID TEXT'],
    ['/edit -3 new text', '/edit ID TEXT'],
    ['/edit 1.5 new text', '/edit ID TEXT'],
    ['/delete', '/delete ID'],
    ['/delete x', '/delete ID'],
    ['/delete 0', '/delete ID'],
    ['/delete 1 2', '/delete ID'],
    ['/ttl', '/ttl DURATION TEXT'],
    ['/ttl 30s', '/ttl DURATION TEXT'],
    ['/ttl 30s    ', '/ttl DURATION TEXT'],
    ['/roomttl', '/roomttl DURATION|off [ROOM]'],
    ['/roomttl 1h lounge extra', '/roomttl DURATION|off [ROOM]'],
    ['/history 0', '/history [N]'],
    ['/history x', '/history [N]'],
    ['/history -1', '/history [N]'],
    [`/history ${LIMITS.maxHistoryPage + 1}`, '/history [N]'],
    ['/history 1 2', '/history [N]'],
  ])('refuses %j with COMMAND_USAGE', (line, usage) => {
    const { code, message } = refusal(line);
    expect(code).toBe(ERROR_CODES.COMMAND_USAGE);
    expect(message).toContain(usage);
  });

  it.each(['0s', '0m', '8d', '7d1s', '500ms', 'abc', '30', '-5s', 's', '1.5h', '30 s'])('refuses the duration %j with TTL_INVALID', (duration) => {
    const { code, message } = refusal(`/ttl ${duration} some text`);
    // "30 s" splits into a duration "30" and the text "s some text".
    expect(code).toBe(ERROR_CODES.TTL_INVALID);
    expect(message).toMatch(/is not a duration from 1s to 7d/);
  });

  it.each(['0s', '8d', 'abc', 'never'])('refuses the room time-to-live %j with TTL_INVALID', (duration) => {
    expect(refusal(`/roomttl ${duration}`).code).toBe(ERROR_CODES.TTL_INVALID);
  });

  it('refuses an edit or a ttl message over the length limit', () => {
    const long = 'x'.repeat(LIMITS.maxTextLength + 1);
    expect(refusal(`/edit 3 ${long}`).code).toBe(ERROR_CODES.TEXT_TOO_LONG);
    expect(refusal(`/ttl 30s ${long}`).code).toBe(ERROR_CODES.TEXT_TOO_LONG);
  });
});
