import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import amqplib, { type ChannelModel } from 'amqplib';
import { amqpUrlWithCredentials } from '../../shared/broker-identity.js';
import { PrivateBroker } from '../support/private-broker.js';
import { publishConfirmed, tryOn } from '../support/attacker.js';
import { AttackStage, type HonestUser } from '../support/attacker-stage.js';
import type { WireAttacker } from '../support/attacker-wire.js';
import { CLIENT_MAIN } from '../support/programs.js';
import { TerminalSession } from '../support/terminal.js';
import { sleep, waitFor } from '../support/wait.js';

/**
 * Issue 10's attack suite, terminal half: alice runs the real terminal program in a pty; mallory
 * (a logged-in participant) and, with legacy mode on, anyone holding the public guest login try to
 * put escape sequences and forged events on her screen. Legacy guest may write into any queue
 * through amq.default (docs/SECURITY.md §5): the broker lets that through, and alice's client must
 * drop what the coordinator did not publish.
 */

const available = PrivateBroker.available();
const describeBroker = available ? describe : describe.skip;

let stage: AttackStage;
let bob: HonestUser;
let mallory: WireAttacker;
let term: TerminalSession;
let guest: ChannelModel;
let aliceQueue: string;

/** Escape sequences an attacker would love to reach a terminal: title, clipboard, clear screen, C1 CSI, hyperlink. */
const ESCAPES = ['\u001b]0;pwned-title\u0007', '\u001b]52;c;cHduZWQ=\u0007', '\u001b[2J\u001b[H', '\u009b31m', '\u001b]8;;http://evil.example\u0007link\u001b]8;;\u0007'];

function rawSince(mark: number): string {
  return term.rawOutput.slice(mark);
}

function expectNoEscapes(raw: string, label: string): void {
  const through = ESCAPES.filter((seq) => raw.includes(seq) || raw.includes(seq.slice(0, 4)));
  stage.tally.record(label, 'client: neutralised', through.length ? `raw ${JSON.stringify(through)}` : 'neutralised', through.length === 0);
  expect(through).toEqual([]);
}

beforeAll(async () => {
  if (!available) return;
  stage = await AttackStage.start('terminal', { legacyGuest: true });
  bob = await stage.honest('bob');
  mallory = await stage.attacker('mallory');
  const before = new Set(await stage.clientQueues());
  term = new TerminalSession(process.execPath, [CLIENT_MAIN], { AMQP_URL: stage.baseUrl, WARREN_NAMESPACE: stage.topology.namespace, WARREN_INSECURE_OPEN_BROKER: '0' });
  await term.waitForText('Choose a user name', 20_000);
  term.enter('alice');
  await term.waitForText('Welcome to warren, alice!', 20_000);
  aliceQueue = await waitFor(async () => (await stage.clientQueues()).find((q) => !before.has(q)), 'alice’s queue on the broker');
  guest = await amqplib.connect(amqpUrlWithCredentials(stage.baseUrl, 'guest', 'guest'));
  guest.on('error', () => undefined);
}, 120_000);

afterAll(async () => {
  term?.kill();
  await guest?.close().catch(() => undefined);
  if (stage) await stage.stop();
}, 60_000);

describeBroker('attacks on a person’s terminal', () => {
  it('control: bob’s line reaches alice’s screen', async () => {
    await bob.say('hello alice, from bob');
    await term.waitForText('bob: hello alice, from bob');
  });

  it('escape sequences in chat text and in a private message are neutralised on alice’s screen', async () => {
    const mark = term.rawOutput.length;
    for (const seq of ESCAPES) await mallory.chat({ text: `room ${seq} end` });
    await mallory.chat({ to: 'alice', text: `dm ${ESCAPES.join(' ')} end` });
    await mallory.chat({ text: 'escapes sent' });
    await term.waitForText('mallory: escapes sent');
    expectNoEscapes(rawSince(mark), 'escape sequences in chat and private text');
    expect(term.text()).toContain('pwned-title');
  });

  it('legacy guest writes forged events straight into alice’s queue through amq.default: her client drops them', async () => {
    const mark = term.rawOutput.length;
    const forged = [
      { type: 'message', room: 'general', seq: 999_999, id: 'f1', num: 999_999, clientMsgId: 'f1', from: 'bob', text: 'FORGED-BY-GUEST', clientTs: new Date().toISOString(), serverTs: new Date().toISOString() },
      { type: 'error', code: 'SESSION_UNKNOWN', message: `FORGED-ERROR ${ESCAPES[0]}` },
      { type: 'private.status', requestId: 'x', to: `FORGED-STATUS ${ESCAPES[2]}`, delivered: true },
      { type: 'room.event', room: 'general', event: 'kicked', name: 'alice', by: 'FORGED-KICK', serverTs: new Date().toISOString() },
    ];
    for (const body of forged) {
      const outcome = await tryOn(guest, (ch) => publishConfirmed(ch, '', aliceQueue, body));
      // The broker lets it through (not defended by the broker: docs/SECURITY.md §5).
      expect(outcome).toBe('ok');
    }
    await bob.say('after the forgeries');
    await term.waitForText('bob: after the forgeries');
    await sleep(300);
    const shown = ['FORGED-BY-GUEST', 'FORGED-ERROR', 'FORGED-STATUS', 'FORGED-KICK'].filter((s) => term.text().includes(s));
    stage.tally.record('forged message, error, private.status and kick in alice’s queue (legacy guest via amq.default)', 'client: userId is not the coordinator', shown.length ? `shown ${shown.join(',')}` : 'dropped', shown.length === 0);
    expect(shown).toEqual([]);
    expectNoEscapes(rawSince(mark), 'escape sequences in forged error and private.status');
    // The same into bob's queue (the library): dropped as UNTRUSTED_SENDER, each one, and none shown.
    const bobQueue = bob.client.topology.clientQueue(bob.client.clientId);
    const dropped = bob.protocolErrors.length;
    for (const body of forged) expect(await tryOn(guest, (ch) => publishConfirmed(ch, '', bobQueue, body))).toBe('ok');
    await waitFor(() => bob.protocolErrors.length - dropped >= forged.length, 'bob’s client to drop the forgeries', 5000).catch(() => undefined);
    const untrusted = bob.protocolErrors.slice(dropped).filter((e) => e.code === 'UNTRUSTED_SENDER').length;
    stage.tally.record('forged message, error, private.status and kick in bob’s queue (legacy guest via amq.default)', 'client UNTRUSTED_SENDER', `${untrusted} of ${forged.length} dropped as untrusted`, untrusted === forged.length);
    expect(untrusted).toBe(forged.length);
    // Still in general and logged in: the forged kick and SESSION_UNKNOWN changed nothing.
    term.enter('/users');
    await term.waitForText(/Online \(\d+\):.*alice/);
  });

  it('legacy guest: input through amq.default has no userId and is refused; events and forged userIds are refused by the broker', async () => {
    const before = stage.chatLog().length;
    expect(await tryOn(guest, (ch) => publishConfirmed(ch, '', stage.topology.chatQueue, { type: 'chat', id: 'g1', token: 'x'.repeat(32), from: 'bob', room: 'general', text: 'FORGED-INPUT', clientTs: new Date().toISOString() }))).toBe('ok');
    const found = await waitFor(() => stage.chatLog().slice(before).some((l) => l.includes('REJECTED') && l.includes('SENDER_UNVERIFIED')), 'the refusal', 5000).then(() => true, () => false);
    stage.tally.record('legacy guest puts chat input into <ns>.chat through amq.default', 'coordinator SENDER_UNVERIFIED', found ? 'SENDER_UNVERIFIED' : 'not refused', found);
    expect(found).toBe(true);
    for (const [label, code, act] of [
      ['legacy guest publishes to <ns>.events', 403, (ch: amqplib.ConfirmChannel) => publishConfirmed(ch, stage.topology.eventsExchange, 'room.general', { type: 'message' })],
      ['legacy guest publishes with userId = the coordinator', 406, (ch: amqplib.ConfirmChannel) => publishConfirmed(ch, '', aliceQueue, { type: 'message' }, { userId: stage.coordinatorUser })],
      ['legacy guest consumes alice’s queue', 403, (ch: amqplib.ConfirmChannel) => ch.consume(aliceQueue, () => undefined)],
      ['legacy guest deletes <ns>.chat', 403, (ch: amqplib.ConfirmChannel) => ch.deleteQueue(stage.topology.chatQueue)],
      ['legacy guest binds a queue to <ns>.events #', 403, async (ch: amqplib.ConfirmChannel) => ch.bindQueue((await ch.assertQueue('', { exclusive: true })).queue, stage.topology.eventsExchange, '#')],
    ] as const) {
      const outcome = await tryOn(guest, act);
      stage.tally.record(label, `broker ${code}`, String(outcome), outcome === code);
      expect(`${label}: ${String(outcome)}`).toBe(`${label}: ${code}`);
    }
    expect(term.text()).not.toContain('FORGED-INPUT');
  });

  it('alice’s screen showed every line of the conversation and nothing forged', async () => {
    await stage.finish();
    expect(term.text()).not.toMatch(/FORGED/);
  });
});
