import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChatEvent } from '../../shared/index.js';
import { person, record, settleWith } from '../support/conversation-kit.js';
import { startCoordinator, type RunningCoordinator } from '../support/coordinator.js';
import { linesOfKind } from '../support/log-lines.js';
import { waitFor } from '../support/wait.js';

/** A promise's outcome, readable without awaiting it (a test must not hang on a send that never settles). */
function settled<T>(promise: Promise<T>): { value?: T; error?: unknown } {
  const state: { value?: T; error?: unknown } = {};
  promise.then(
    (value) => (state.value = value),
    (error: unknown) => (state.error = error),
  );
  return state;
}

describe('activation threshold (MIN_USERS=2)', () => {
  let running: RunningCoordinator;
  beforeEach(async () => {
    running = await startCoordinator({ minUsers: 2 });
  });
  afterEach(async () => {
    await running.stop();
  });

  it('shows nothing until two users are online, then the held messages in order, once', async () => {
    const aliceClient = await running.client();
    const alice = record(aliceClient);
    const login = await aliceClient.login('alice');
    expect(login).toMatchObject({ active: false, minUsers: 2, history: [], privateBacklog: [] });
    expect(aliceClient.active).toBe(false);

    const sent: Promise<ChatEvent>[] = [];
    const accepted: ChatEvent[] = [];
    for (const text of ['early 1', 'early 2', 'early 3']) {
      const promise = aliceClient.send(text);
      void promise.then((event) => accepted.push(event));
      sent.push(promise);
    }
    await waitFor(() => alice.held.length === 3, 'the three messages to be held');
    expect(alice.held.every((entry) => entry.room === 'general')).toBe(true);
    // Held, stored and logged, but shown to nobody: not even history tells.
    expect(alice.messages).toEqual([]);
    expect(accepted).toEqual([]);
    expect((await aliceClient.history()).messages).toEqual([]);
    expect(linesOfKind(running.logLines(), 'MESSAGE').map((line) => line.fields.text)).toEqual(['early 1', 'early 2', 'early 3']);

    const bobClient = await running.client();
    const bob = record(bobClient);
    await bobClient.login('bob');
    // Both are told, and both see the held messages, in order, once.
    await waitFor(() => alice.activated.length === 1, 'alice to be told the chat is active');
    await waitFor(() => bob.activated.length === 1, 'bob to be told the chat is active');
    expect(bobClient.active).toBe(true);
    expect(aliceClient.active).toBe(true);
    await waitFor(() => accepted.length === 3, 'the held messages to be accepted');
    const shown = await Promise.all(sent);
    expect(shown.map((event) => [event.seq, event.text])).toEqual([
      [1, 'early 1'],
      [2, 'early 2'],
      [3, 'early 3'],
    ]);
    await settleWith(bobClient, [alice, bob]);
    expect(alice.texts().slice(0, 3)).toEqual(['early 1', 'early 2', 'early 3']);
    expect(bob.texts().slice(0, 3)).toEqual(['early 1', 'early 2', 'early 3']);
    expect(alice.messages.filter((event) => event.text.startsWith('early'))).toHaveLength(3);
    expect(bob.messages.filter((event) => event.text.startsWith('early'))).toHaveLength(3);
    expect(alice.activated).toHaveLength(1);
    expect(bob.activated).toHaveLength(1);
    expect(linesOfKind(running.logLines(), 'ACTIVATED')).toHaveLength(1);

    // From now on it stays active: bob leaving does not close it, a newcomer is active at once.
    await bobClient.logout();
    const carolClient = await running.client();
    const carol = record(carolClient);
    const carolLogin = await carolClient.login('carol');
    expect(carolLogin.active).toBe(true);
    expect(carolLogin.history.map((event) => event.text)).toContain('early 1');
    await aliceClient.send('live now');
    await carol.waitForText('live now');
    expect(alice.held).toHaveLength(3);
    expect(linesOfKind(running.logLines(), 'ACTIVATED')).toHaveLength(1);
  });

  it('delivers a private message held for the user whose arrival activates the chat', async () => {
    // bob registers first, alone (no activation), so the message to him is kept while he is away.
    const registering = await running.client();
    await registering.login('bob');
    await registering.register('bob password 1');
    await registering.logout();
    const alice = await person(running, 'alice');
    const held = settled(alice.client.send('waiting for you, bob', { to: 'bob' }));
    await waitFor(() => alice.seen.held.length === 1, 'the private message to be held');

    const bobClient = await running.client();
    const bob = record(bobClient);
    await bobClient.login('bob', 'bob password 1');
    await bob.waitForText('waiting for you, bob');
    expect(bob.messages.filter((event) => event.text === 'waiting for you, bob')).toHaveLength(1);
    // The sender sees it shown too once the chat is active.
    expect((await waitFor(() => held.value, 'the held private message to be accepted')).to).toBe('bob');
    await alice.seen.waitForText('waiting for you, bob');

    // Delivered once: not again on the next login.
    await bobClient.logout();
    expect((await bobClient.login('bob', 'bob password 1')).privateBacklog).toEqual([]);
  });

  it('keeps the flag across a restart of the coordinator', async () => {
    const alice = await person(running, 'alice');
    await person(running, 'bob');
    await waitFor(() => alice.seen.activated.length === 1, 'activation');
    const { dataDir, logDir } = running.options;
    await running.stop();
    running = await startCoordinator({ minUsers: 2, dataDir, logDir });
    const lone = await running.client();
    expect((await lone.login('zoe')).active).toBe(true);
  });
});

describe('activation threshold (MIN_USERS=3)', () => {
  it('shows a room\'s held messages to a member who joined it before activation', async () => {
    const running = await startCoordinator({ minUsers: 3 });
    try {
      const alice = await person(running, 'alice');
      const bob = await person(running, 'bob');
      expect(alice.client.active).toBe(false);
      await alice.client.createRoom('lounge');
      const sent = [settled(alice.client.send('lounge 1', { room: 'lounge' })), settled(alice.client.send('lounge 2', { room: 'lounge' }))];
      await waitFor(() => alice.seen.held.length === 2, 'the room messages to be held');
      await bob.client.joinRoom('lounge');
      const privately = settled(alice.client.send('private before activation', { to: 'bob' }));
      await waitFor(() => alice.seen.held.length === 3, 'the private message to be held');
      expect(bob.seen.messages).toEqual([]);

      await person(running, 'carol');
      await waitFor(() => bob.seen.activated.length === 1, 'bob to be told the chat is active');
      await waitFor(() => sent.every((entry) => entry.value), 'the held room messages to be accepted');
      await waitFor(() => bob.seen.texts('lounge').length === 2, () => `bob to see the held room messages; he has ${JSON.stringify(bob.seen.texts())}`);
      expect(bob.seen.texts('lounge')).toEqual(['lounge 1', 'lounge 2']);
      await bob.seen.waitForText('private before activation');
      await waitFor(() => privately.value, 'the held private message to be accepted');
      expect(alice.seen.texts('lounge')).toEqual(['lounge 1', 'lounge 2']);
    } finally {
      await running.stop();
    }
  });
});

describe('activation threshold default', () => {
  it('is active at once with MIN_USERS=1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warren-activation-'));
    const running = await startCoordinator({ dataDir: join(dir, 'data'), logDir: join(dir, 'log') });
    try {
      const alice = await running.client();
      const login = await alice.login('alice');
      expect(login).toMatchObject({ active: true, minUsers: 1 });
      expect((await alice.send('alone but heard')).seq).toBe(1);
    } finally {
      await running.stop();
    }
  });
});
