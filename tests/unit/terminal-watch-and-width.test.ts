import { emitKeypressEvents } from 'node:readline';
import { PassThrough } from 'node:stream';
import { Chalk } from 'chalk';
import { COMMAND_NAMES } from '../../client/commands.js';
import { createFormatter, LINE_WIDTH, wrapWords } from '../../client/ui/format.js';
import { STATUS_OK, STATUS_REQUEST, watchTerminal } from '../../client/ui/terminal-watch.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('watchTerminal (a window closed without a signal)', () => {
  const streams = (): { input: PassThrough; output: PassThrough; asked: () => number } => {
    const input = new PassThrough();
    emitKeypressEvents(input);
    const output = new PassThrough();
    let asked = 0;
    output.on('data', (chunk: Buffer) => (asked += chunk.toString().split(STATUS_REQUEST).length - 1));
    return { input, output, asked: () => asked };
  };

  it('judges a terminal gone once it stopped answering for two intervals', async () => {
    const { input, output, asked } = streams();
    let goneAt: number | undefined;
    const answer = (): void => void input.write(STATUS_OK);
    output.on('data', answer);
    const stop = watchTerminal({ input, output, intervalMs: 40, onGone: () => (goneAt = Date.now()) });
    await sleep(200);
    expect(goneAt).toBeUndefined();
    expect(asked()).toBeGreaterThanOrEqual(3);
    output.off('data', answer);
    const silentAt = Date.now();
    await sleep(600);
    stop();
    expect(goneAt).toBeDefined();
    // Two to three intervals (80-120 ms), with room for a busy machine's timers.
    expect(goneAt! - silentAt).toBeLessThan(500);
  });

  it('never judges gone a terminal that never answered (one that does not support the request)', async () => {
    const { input, output, asked } = streams();
    let gone = false;
    const stop = watchTerminal({ input, output, intervalMs: 30, onGone: () => (gone = true) });
    await sleep(250);
    stop();
    expect(asked()).toBeGreaterThanOrEqual(3);
    expect(gone).toBe(false);
  });

  it('asks first after one interval: a session left at once has no question out', async () => {
    const { input, output, asked } = streams();
    const stop = watchTerminal({ input, output, intervalMs: 80, onGone: () => undefined });
    await sleep(20);
    expect(asked()).toBe(0);
    await sleep(120);
    stop();
    expect(asked()).toBeGreaterThanOrEqual(1);
  });

  it('stops asking once stopped', async () => {
    const { input, output, asked } = streams();
    const stop = watchTerminal({ input, output, intervalMs: 20, onGone: () => undefined });
    stop();
    const before = asked();
    await sleep(100);
    expect(asked()).toBe(before);
  });
});

describe('texts that must fit a terminal', () => {
  const format = createFormatter(new Chalk({ level: 0 }), { localTime: false });

  it('wraps words into lines of at most the width, never inside a word', () => {
    expect(wrapWords(['aaa', 'bbb', 'cc'], 7)).toEqual(['aaa bbb', 'cc']);
    expect(wrapWords(['aaaaaaaaaa', 'b'], 4)).toEqual(['aaaaaaaaaa', 'b']);
    expect(wrapWords([], 10)).toEqual([]);
  });

  it('lists every command after login in lines of at most 80 columns', () => {
    const lines = format.welcome('me', 'general', [{ name: 'me' } as never], [{ name: 'general' } as never]);
    const commandLines = lines.slice(1, lines.findIndex((line) => line.startsWith('Online')));
    expect(commandLines.length).toBeGreaterThan(1);
    for (const line of commandLines) expect([...line].length).toBeLessThanOrEqual(LINE_WIDTH);
    expect(commandLines.join(' ').split(' ')).toEqual(['Commands:', ...COMMAND_NAMES.map((name) => `/${name}`), '(/help', 'for', 'details)']);
  });

  it('shows the waiting notice only below the threshold', () => {
    expect(format.waiting(3, 2)).toContain('(2 now)');
    expect(format.waiting(3, 3)).toBeUndefined();
    expect(format.waiting(3, 4)).toBeUndefined();
  });
});
