import type { WarrenClient } from '../../client/lib/warren-client.js';
import { ERROR_CODES, LIMITS, type ChatEvent } from '../../shared/index.js';
import { startCoordinator, type RunningCoordinator } from '../support/coordinator.js';
import { linesOfKind } from '../support/log-lines.js';
import { waitFor } from '../support/wait.js';
import { RawPeer, body, isoNow } from '../support/raw-peer.js';

/**
 * The coordinator stores and delivers text exactly as sent; making it harmless on a screen is the
 * terminal UI's job (client/ui/sanitize.ts), and the log's quoting keeps it on one line.
 */
const TEXTS: [string, string][] = [
  ['accents and scripts', 'héllo wörld — ¿qué tal? 日本語 한국어 العربية עברית ελληνικά'],
  ['emoji, skin tones, ZWJ sequences and flags', '😀 👍🏽 👨‍👩‍👧‍👦 🏳️‍🌈 🇦🇷'],
  ['astral-plane letters', '𝕳𝖊𝖑𝖑𝖔 𐍈 𓀀'],
  ['a decomposed accent, which must not be normalised', 'cafe\u0301 vs caf\u00e9'],
  ['ANSI colour, clear-screen and OSC title sequences', '\u001b[31mred\u001b[0m \u001b[2J\u001b[H \u001b]0;pwned\u0007 done'],
  ['C1 controls', 'csi\u009b31m nel\u0085 del\u007f'],
  ['tabs, newlines, carriage returns, NUL and BEL', 'tab\there\nnew line\r\nnul\u0000bell\u0007'],
  ['bidirectional overrides and isolates', 'abc\u202edcba\u202c \u2066iso\u2069 \u200fx'],
  ['zero-width characters', 'a\u200bb\u200cc\u200dd\ufeffe'],
  ['the Unicode line and paragraph separators', 'one\u2028two\u2029three'],
  ['quotes, backslashes and a forged log line', `"quoted" 'single' \\back\\slash\n2024-01-01T00:00:00.000Z MESSAGE from=bob text="forged"`],
  [`${LIMITS.maxTextLength} emoji, the most a message may hold`, '😀'.repeat(LIMITS.maxTextLength)],
];

describe('Unicode, emoji and escape sequences', () => {
  let running: RunningCoordinator;
  let alice: WarrenClient;
  let bob: WarrenClient;
  const bobSaw: ChatEvent[] = [];

  beforeAll(async () => {
    running = await startCoordinator();
    alice = await running.client();
    bob = await running.client();
    await alice.login('alice');
    await bob.login('bob');
    bob.on('message', (event) => bobSaw.push(event));
  });

  afterAll(async () => {
    await running.stop();
  });

  it.each(TEXTS)('keeps %s exactly as sent: live, in history, in /mymsgs and in the log', async (_what, text) => {
    const accepted = await alice.send(text);
    expect(accepted.text).toBe(text);

    const received = await waitFor(() => bobSaw.find((event) => event.id === accepted.id), 'bob to receive it');
    expect(received.text).toBe(text);
    expect(Buffer.from(received.text, 'utf8').equals(Buffer.from(text, 'utf8'))).toBe(true);

    const history = await bob.history({ afterSeq: accepted.seq - 1, limit: 1 });
    expect(history.messages.map((event) => event.text)).toEqual([text]);
    expect((await alice.myMessages()).find((event) => event.id === accepted.id)?.text).toBe(text);

    const lines = running.logLines();
    const line = linesOfKind(lines, 'MESSAGE').find((entry) => entry.fields.id === accepted.id);
    expect(line?.fields.text).toBe(text);
    // Every line of the log is still a line the parser reads: the text did not break out of its own.
    for (const each of lines) expect(() => linesOfKind([each], 'MESSAGE')).not.toThrow();
  });

  it('refuses text that is not valid Unicode (a lone surrogate) rather than store something else', async () => {
    const raw = await RawPeer.open(running.namespace);
    try {
      const token = (await (await running.client()).login('eve')).token;
      // JSON allows the escape; SQLite would turn the lone surrogate into U+FFFD, so history would differ from what was delivered.
      await raw.send('chat', body(`{"type":"chat","id":"lone","token":"${token}","from":"eve","text":"a\\ud800b","clientTs":"${isoNow()}"}`));
      const refused = await raw.reply((reply) => reply.body.type === 'error', 'the refusal');
      expect(refused.body).toMatchObject({ code: ERROR_CODES.INVALID_MESSAGE, requestId: 'lone' });
      // A well-formed surrogate pair written as escapes is an ordinary emoji.
      await raw.send('chat', body(`{"type":"chat","id":"pair","token":"${token}","from":"eve","text":"\\ud83d\\ude00","clientTs":"${isoNow()}"}`));
      const pair = await waitFor(() => bobSaw.find((event) => event.clientMsgId === 'pair'), 'the escaped emoji');
      expect(pair.text).toBe('😀');
    } finally {
      await raw.close();
    }
  });

  it('keeps Unicode names, compares them case-insensitively, and stores them in composed form', async () => {
    const zoe = await running.client();
    const login = await zoe.login('Zoe\u0308'); // decomposed: Z o e + combining diaeresis
    expect(login.name).toBe('Zo\u00eb');
    const rival = await running.client();
    await expect(rival.login('ZOË')).rejects.toMatchObject({ code: ERROR_CODES.NAME_TAKEN });
    await expect(rival.login('名前')).resolves.toMatchObject({ name: '名前' });

    const fromZoe = await zoe.send('hallo');
    const fromName = await rival.send('こんにちは');
    const seen = await waitFor(() => {
      const found = [fromZoe, fromName].map((sent) => bobSaw.find((event) => event.id === sent.id));
      return found.every(Boolean) ? found : undefined;
    }, 'bob to see both');
    expect(seen.map((event) => event?.from)).toEqual(['Zoë', '名前']);
    expect((await bob.users()).map((user) => user.name)).toEqual(expect.arrayContaining(['Zoë', '名前']));
  });
});
