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
