import { LIMITS, type ChatEvent } from '../../shared/index.js';
import { startCoordinator, type RunningCoordinator } from '../support/coordinator.js';
import { linesOfKind } from '../support/log-lines.js';
import { waitFor } from '../support/wait.js';

/**
 * The coordinator stores and delivers text exactly as sent. Neutralising escape sequences is the
 * terminal UI's job at display time; everyone else (bots, the log, history) gets the real bytes.
 */
const TEXTS: [string, string][] = [
  ['accents and other scripts', 'héllo wörld — 世界 — Здравствуй — مرحبا — שלום — नमस्ते'],
  ['emoji, with skin tones and ZWJ sequences', '👍🏽 👩‍👩‍👧‍👦 🏳️‍🌈 🇪🇸'],
  ['combining marks left decomposed', 'Jose\u0301 e\u0301 a\u030a'],
  ['an ANSI colour and clear-screen sequence', '\u001b[31mred\u001b[0m \u001b[2J\u001b[H'],
  ['an OSC title and hyperlink sequence', '\u001b]0;pwned\u0007 \u001b]8;;https://example.com\u001b\\link\u001b]8;;\u001b\\'],
  ['a carriage return, newlines and tabs', 'line one\r\nline two\nthree\tcolumns\rover'],
  ['NUL, a C1 control, DEL and BEL', 'a\u009b31m b\u007f c\u0007 d\u0000e'],
  ['bidirectional overrides and zero-width characters', 'abc\u202edcba\u202c \u200b\u200d\ufeff'],
  ['line and paragraph separators', 'one\u2028two\u2029three'],
  ['JSON-looking text with quotes and backslashes', '{"type":"chat","from":"admin"} \\" \\u0000 \\n'],
  ['characters outside the BMP', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𐍈 🀄'],
];

describe('text is stored and delivered byte-exact', () => {
  let running: RunningCoordinator;
  beforeAll(async () => {
    running = await startCoordinator();
  });
  afterAll(async () => {
    await running.stop();
  });

  it('for every kind of text, from senders with non-ASCII names, to another client, the store and the log', async () => {
    const [sender, reader] = await Promise.all([running.client(), running.client()]);
    await sender.login('José');
    await reader.login('李雷');
    const received: ChatEvent[] = [];
    reader.on('message', (event) => received.push(event));

    for (const [, text] of TEXTS) {
      const accepted = await sender.send(text);
      expect(accepted.text).toBe(text);
      expect(accepted.from).toBe('José');
    }
    await waitFor(() => received.length === TEXTS.length, 'the reader to receive every message');

    const utf8 = (text: string): string => Buffer.from(text, 'utf8').toString('hex');
    const sent = TEXTS.map(([, text]) => utf8(text));
    expect(received.map((event) => utf8(event.text))).toEqual(sent);
    expect(received.every((event) => event.from === 'José')).toBe(true);

    const history = await reader.history({ afterSeq: 0, limit: LIMITS.maxHistoryPage });
    expect(history.messages.map((event) => utf8(event.text))).toEqual(sent);
    expect((await sender.myMessages()).map((event) => utf8(event.text))).toEqual(sent);

    // The log keeps one line per message and gives the exact text back when read.
    const logged = linesOfKind(running.logLines(), 'MESSAGE');
    expect(logged.map((line) => utf8(line.fields.text ?? ''))).toEqual(sent);
    expect(logged.every((line) => line.fields.from === 'José')).toBe(true);
  });

  it('a text of exactly the longest length, in four-byte characters, is accepted whole', async () => {
    const client = await running.client();
    await client.login('longtext');
    const text = '😀'.repeat(LIMITS.maxTextLength);
    const accepted = await client.send(text);
    expect(accepted.text).toBe(text);
  });
});
