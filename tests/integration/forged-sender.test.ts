import type { WarrenClient } from '../../client/lib/warren-client.js';
import { ERROR_CODES, LIMITS, type ChatEvent } from '../../shared/index.js';
import { startCoordinator, type RunningCoordinator } from '../support/coordinator.js';
import { linesOfKind } from '../support/log-lines.js';
import { RawWire, expectDeadLetterCopy } from '../support/raw-wire.js';
import { bytes, chatMessage } from '../support/samples.js';
import { waitFor } from '../support/wait.js';

describe('a forged sender', () => {
  let running: RunningCoordinator;
  let wire: RawWire;
  let alice: WarrenClient;
  let bobToken: string;
  const seen: { by: string; event: ChatEvent }[] = [];

  beforeEach(async () => {
    running = await startCoordinator();
    wire = await RawWire.open(running.namespace);
    alice = await running.client();
    const bob = await running.client();
    await alice.login('alice');
    bobToken = (await bob.login('bob')).token;
    seen.length = 0;
    alice.on('message', (event) => seen.push({ by: 'alice', event }));
    bob.on('message', (event) => seen.push({ by: 'bob', event }));
  });

  afterEach(async () => {
    await wire.close();
    await running.stop();
  });

  it.each([
    ['another user', 'alice'],
    ['another user in other letter case', 'ALICE'],
    ['its own name spelled in other letter case', 'Bob'],
    ['a user who is not online', 'mallory'],
  ])('is refused when a valid token of bob claims to be %s: FORGED_SENDER, logged, dead-lettered, never delivered', async (_what, from) => {
    const forged = chatMessage({ id: 'forged-1', token: bobToken, from, text: 'I owe bob 100 euros', clientTs: new Date().toISOString() });
    await wire.send('chat', bytes(forged));

    const reply = await wire.replyTo('forged-1');
    expect(reply.body).toMatchObject({ type: 'error', code: ERROR_CODES.FORGED_SENDER });
    expect(String(reply.body.message)).toContain('bob');

    const rejected = await waitFor(() => linesOfKind(running.logLines(), 'REJECTED')[0], 'a REJECTED line');
    expect(rejected.fields).toMatchObject({ code: ERROR_CODES.FORGED_SENDER, from, request: 'forged-1', queue: running.coordinator.topology.chatQueue });

    const dead = await wire.deadLetter(0);
    expect(dead.properties.headers?.['x-warren-error-code']).toBe(ERROR_CODES.FORGED_SENDER);
    // Bob's token is blanked in the copy: reading the dead letters must not let anyone send as bob.
    expectDeadLetterCopy(dead.content, bytes(forged));

    // A normal message afterwards reaches both; the forged one reached no one and was never stored.
    const normal = await alice.send('a real message');
    await waitFor(() => seen.filter((entry) => entry.event.id === normal.id).length === 2, 'both to receive the real message');
    expect(seen.map((entry) => entry.event.text)).toEqual(['a real message', 'a real message']);
    const history = await alice.history({ afterSeq: 0, limit: LIMITS.maxHistoryPage });
    expect(history.messages.map((event) => event.text)).toEqual(['a real message']);
    expect(linesOfKind(running.logLines(), 'MESSAGE').map((line) => line.fields.text)).toEqual(['a real message']);
  });

  it('is not confused with a genuine message sent the same raw way (the refusal above is about the sender)', async () => {
    await wire.send('chat', bytes(chatMessage({ id: 'genuine-1', token: bobToken, from: 'bob', text: 'from bob, truly', clientTs: new Date().toISOString() })));
    await waitFor(() => seen.filter((entry) => entry.event.text === 'from bob, truly').length === 2, 'both to receive bob’s message');
    expect(seen.find((entry) => entry.by === 'alice')?.event).toMatchObject({ from: 'bob', clientMsgId: 'genuine-1' });
    expect(wire.replies).toEqual([]);
    expect(linesOfKind(running.logLines(), 'REJECTED')).toEqual([]);
  });
});
