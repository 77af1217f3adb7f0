import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chatLogFiles, loggedInFolder } from '../../server/log/chat-log-repair.js';
import { chatLogFileName } from '../../server/log/chat-log.js';
import { mergeChatLogs } from '../../server/log/merge-chat-logs.js';
import { parseServerSettings } from '../../server/config.js';
import { configError } from '../support/config-error.js';

const line = (time: string, rest: string): string => `2026-12-02T10:00:${time}Z ${rest}`;

describe('mergeChatLogs', () => {
  it('leaves out and counts lines that do not start with a server time', () => {
    const merged = mergeChatLogs([`garbage\n${line('01.000', 'START detail=x')}\n\n not a line either\n`]);
    expect(merged).toEqual({ lines: [line('01.000', 'START detail=x')], repeated: 0, unreadable: 2 });
  });

  it('interleaves the files by server time, equal times keeping their file order', () => {
    const a = [line('01.000', 'MESSAGE room=general seq=1 id=m1 text="a1"'), line('03.000', 'MESSAGE room=general seq=3 id=m3 text="a2"')].join('\n');
    const b = [line('02.000', 'MESSAGE room=general seq=2 id=m2 text="b1"'), line('03.000', 'JOIN name=bob'), line('04.000', 'STOP detail=x')].join('\n');
    expect(mergeChatLogs([a, b]).lines.map((l) => l.slice(17, 23))).toEqual(['01.000', '02.000', '03.000', '03.000', '04.000']);
    expect(mergeChatLogs([a, b]).lines[2]).toContain('id=m3');
    expect(mergeChatLogs([a, b]).lines[3]).toContain('JOIN');
  });

  it("puts a line a coordinator wrote late for a dead one's message (an earlier time, further down its file) in its place", () => {
    const dead = [line('01.000', 'MESSAGE room=general seq=1 id=m1 text="a"')].join('\n');
    const survivor = [line('03.000', 'MESSAGE room=general seq=3 id=m3 text="c"'), line('02.000', 'MESSAGE room=general seq=2 id=m2 text="b"')].join('\n');
    expect(mergeChatLogs([dead, survivor]).lines.map((l) => /id=(m\d)/.exec(l)?.[1])).toEqual(['m1', 'm2', 'm3']);
  });

  it('orders the messages of two coordinators accepted within one millisecond by their number, leaving other lines in place', () => {
    const a = [line('05.000', 'MESSAGE room=general seq=8 num=8 id=m8 text="x"'), line('05.000', 'JOIN name=ann')].join('\n');
    const b = line('05.000', 'MESSAGE room=general seq=7 num=7 id=m7 text="y"');
    expect(mergeChatLogs([a, b]).lines.map((l) => /(id=m\d|JOIN)/.exec(l)?.[1])).toEqual(['id=m7', 'JOIN', 'id=m8']);
  });

  it('keeps the first line of a message that two coordinators logged, and counts the other', () => {
    const a = line('01.000', 'MESSAGE room=general seq=1 id=m1 text="hi"');
    const b = line('01.500', 'MESSAGE room=general seq=1 id=m1 text="hi"');
    expect(mergeChatLogs([b, a])).toEqual({ lines: [a], repeated: 1, unreadable: 0 });
  });
});

describe('chat log files of a folder', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'warren-logs-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("names a coordinator's file after its host with %h, made safe for a file name", () => {
    expect(chatLogFileName('chat-%h.log', 'web/1 x')).toBe('chat-web_1_x.log');
    expect(chatLogFileName('chat.log', 'anything')).toBe('chat.log');
  });

  it('finds every chat log of the folder, and whether any has a line of a message id', () => {
    writeFileSync(join(dir, 'chat-a.log'), `${line('01.000', 'MESSAGE room=general seq=1 id=m1 text="x"')}\n`);
    writeFileSync(join(dir, 'chat.log'), '');
    writeFileSync(join(dir, 'other.txt'), ' id=m2 ');
    expect(chatLogFiles(dir).map((path) => path.slice(dir.length + 1))).toEqual(['chat-a.log', 'chat.log']);
    expect(loggedInFolder(dir, 'm1')).toBe(true);
    expect(loggedInFolder(dir, 'm2')).toBe(false);
  });
});

describe('WARREN_CHAT_LOG_FILE', () => {
  it.each(['../chat.log', 'chat/x.log', 'log.txt', 'chat.txt', 'chat log.log'])('refuses %p with a clear error', (value) => {
    expect(configError(() => parseServerSettings([], { WARREN_CHAT_LOG_FILE: value })).message).toMatch(/WARREN_CHAT_LOG_FILE.*must be a file name starting with "chat"/);
  });

  it('takes a per-host pattern', () => {
    expect(parseServerSettings([], { WARREN_CHAT_LOG_FILE: 'chat-%h.log' }).chatLogFile).toBe('chat-%h.log');
  });
});

describe('WARREN_INPUT_PARTITIONS', () => {
  it.each(['0', '65', '1.5', 'four'])('refuses %p with a clear error', (value) => {
    expect(configError(() => parseServerSettings([], { WARREN_INPUT_PARTITIONS: value })).message).toMatch(/WARREN_INPUT_PARTITIONS/);
  });

  it('takes a count up to 64', () => {
    expect(parseServerSettings([], { WARREN_INPUT_PARTITIONS: '4' }).inputPartitions).toBe(4);
  });
});
