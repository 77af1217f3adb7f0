import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChatLog, formatLogLine, type LogEntry } from '../../server/log/chat-log.js';
import { parseLogLine } from '../support/log-lines.js';

const ISO_UTC_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const SERVER_TS = '2024-05-01T12:00:00.123Z';
const CLIENT_TS = '2024-05-01T11:59:59.987Z';

function message(text: string, overrides: Partial<Extract<LogEntry, { kind: 'MESSAGE' }>> = {}): LogEntry {
  return {
    kind: 'MESSAGE',
    serverTs: SERVER_TS,
    clientTs: CLIENT_TS,
    room: 'general',
    seq: 7,
    id: '3f2b8c1e-0000-4000-8000-000000000001',
    from: 'alice',
    text,
    ...overrides,
  };
}

/** Anything a terminal or a line-oriented reader could take as a line break or a control. */
const LINE_BREAKING_OR_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

describe('chat log: message lines', () => {
  it('start with the server time and carry both timestamps, each ISO-8601 UTC with milliseconds', () => {
    const line = formatLogLine(message('hello'));
    expect(line.startsWith(`${SERVER_TS} MESSAGE `)).toBe(true);
    const parsed = parseLogLine(line);
    expect(parsed.fields).toEqual({
      room: 'general',
      seq: '7',
      from: 'alice',
      client_ts: CLIENT_TS,
      server_ts: SERVER_TS,
      id: '3f2b8c1e-0000-4000-8000-000000000001',
      text: 'hello',
    });
    expect(parsed.fields.client_ts).toMatch(ISO_UTC_MS);
    expect(parsed.fields.server_ts).toMatch(ISO_UTC_MS);
  });

  it('put every field in one fixed order, quoting only what is not plain', () => {
    const line = formatLogLine(message('a "q"', { num: 3, room: 'dm:alice:bob', to: 'Bob Smith', expiresAt: '2024-05-01T13:00:00.000Z' }));
    expect(line).toBe(
      `${SERVER_TS} MESSAGE room=dm:alice:bob seq=7 num=3 from=alice client_ts=${CLIENT_TS} server_ts=${SERVER_TS} ` +
        'id=3f2b8c1e-0000-4000-8000-000000000001 to="Bob Smith" expires_at=2024-05-01T13:00:00.000Z text="a \\"q\\""',
    );
  });

  it('always quotes the text, even a plain word, so where the text starts is never ambiguous', () => {
    expect(formatLogLine(message('hello'))).toMatch(/ text="hello"$/);
  });

  it.each([
    ['double quotes', 'she said "hi"'],
    ['a backslash', 'C:\\path\\to'],
    ['a newline', 'first\nsecond'],
    ['CR LF', 'first\r\nsecond'],
    ['a lone carriage return (overwrites the line on a terminal)', 'innocent\rFORGED'],
    ['a forged log line after a newline', `hi\n${SERVER_TS} MESSAGE room=general seq=8 from=bob text="I owe alice"`],
    ['a forged field inside the text', 'hi" from=mallory seq=99 text="x'],
    ['an ANSI colour sequence', '\u001b[31mred\u001b[0m'],
    ['a clear-screen sequence', '\u001b[2J\u001b[H'],
    ['an OSC title sequence', '\u001b]0;pwned\u0007'],
    ['NUL and BEL', 'a\u0000b\u0007c'],
    ['DEL', 'a\u007fb'],
    ['a C1 CSI (an escape sequence in one character)', 'a\u009b31mred'],
    ['NEL, a C1 line break', 'first\u0085second'],
    ['the Unicode line separator', 'first\u2028second'],
    ['the Unicode paragraph separator', 'first\u2029second'],
    ['a vertical tab and a form feed', 'a\u000bb\u000cc'],
    ['tabs', 'a\tb'],
  ])('quotes text with %s so it stays on one line and reads back exactly', (_what, text) => {
    const line = formatLogLine(message(text));
    expect(line).not.toMatch(LINE_BREAKING_OR_CONTROL);
    const parsed = parseLogLine(line);
    expect(parsed.fields.text).toBe(text);
    expect(parsed.fields.from).toBe('alice');
    expect(parsed.fields.seq).toBe('7');
  });

  it('keeps Unicode and emoji readable rather than escaped', () => {
    const text = 'héllo 世界 👩‍👩‍👧 مرحبا';
    expect(formatLogLine(message(text))).toContain(`text="${text}"`);
  });
});

describe('chat log: other lines', () => {
  it('writes joins and leaves with the reason', () => {
    expect(formatLogLine({ kind: 'JOIN', serverTs: SERVER_TS, name: 'alice' })).toBe(`${SERVER_TS} JOIN name=alice`);
    expect(formatLogLine({ kind: 'LEAVE', serverTs: SERVER_TS, name: 'alice', reason: 'timeout' })).toBe(
      `${SERVER_TS} LEAVE name=alice reason=timeout`,
    );
  });

  it('writes a rejected input with its queue, code, claimed sender, request id and reason', () => {
    const line = formatLogLine({
      kind: 'REJECTED',
      serverTs: SERVER_TS,
      queue: 'ns.chat',
      code: 'FORGED_SENDER',
      from: 'alice',
      requestId: 'msg-1',
      reason: 'message claims to be from "alice" but the session belongs to "bob"',
    });
    expect(parseLogLine(line)).toEqual({
      serverTs: SERVER_TS,
      kind: 'REJECTED',
      fields: {
        queue: 'ns.chat',
        code: 'FORGED_SENDER',
        from: 'alice',
        request: 'msg-1',
        reason: 'message claims to be from "alice" but the session belongs to "bob"',
      },
    });
  });

  it('quotes whatever a hostile client put in the fields of a rejected input', () => {
    const from = 'eve\n2024-05-01T12:00:00.000Z JOIN name=root\u001b[2J\u2028';
    const line = formatLogLine({ kind: 'REJECTED', serverTs: SERVER_TS, queue: 'ns.chat', code: 'FORGED_SENDER', from, reason: 'x' });
    expect(line).not.toMatch(LINE_BREAKING_OR_CONTROL);
    expect(parseLogLine(line).fields.from).toBe(from);
  });

  it('leaves out fields that are not set', () => {
    const line = formatLogLine({ kind: 'REJECTED', serverTs: SERVER_TS, queue: 'ns.chat', code: 'MALFORMED_JSON', reason: 'not JSON' });
    expect(Object.keys(parseLogLine(line).fields)).toEqual(['queue', 'code', 'reason']);
  });
});

describe('chat log file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'warren-chat-log-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('has exactly one line per entry, in the order appended, whatever the texts hold', () => {
    const log = new ChatLog(join(dir, 'log'));
    const texts = ['one', 'two\nlines', 'three\r\n', '\u2028four', 'five\u001b[2K'];
    texts.forEach((text, index) => log.append(message(text, { seq: index + 1 })));
    log.close();
    const content = readFileSync(join(dir, 'log', 'chat.log'), 'utf8');
    expect(content.endsWith('\n')).toBe(true);
    const lines = content.split('\n').slice(0, -1);
    expect(lines.map((line) => parseLogLine(line).fields.text)).toEqual(texts);
    expect(lines.map((line) => parseLogLine(line).fields.seq)).toEqual(['1', '2', '3', '4', '5']);
  });

  it('appends to an existing log instead of overwriting it', () => {
    const first = new ChatLog(dir);
    first.append({ kind: 'START', serverTs: SERVER_TS, detail: 'first run' });
    first.close();
    const second = new ChatLog(dir);
    second.append({ kind: 'START', serverTs: SERVER_TS, detail: 'second run' });
    second.close();
    const details = readFileSync(second.path, 'utf8').trimEnd().split('\n').map((line) => parseLogLine(line).fields.detail);
    expect(details).toEqual(['first run', 'second run']);
  });

  it('closes idempotently and refuses to write after closing', () => {
    const log = new ChatLog(dir);
    log.close();
    log.close();
    expect(() => log.append({ kind: 'JOIN', serverTs: SERVER_TS, name: 'alice' })).toThrow(/closed/);
  });
});
