import type { WarrenClient } from '../../client/lib/warren-client.js';
import { ERROR_CODES, type ChatEvent, type PresenceEvent } from '../../shared/index.js';
import { startCoordinator, type RunningCoordinator } from '../support/coordinator.js';
import { linesOfKind } from '../support/log-lines.js';
import { RawWire } from '../support/raw-wire.js';
import { bytes } from '../support/samples.js';
import { waitFor } from '../support/wait.js';

const ISO_UTC_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

function presences(client: WarrenClient): PresenceEvent[] {
  const seen: PresenceEvent[] = [];
  client.on('presence', (event) => seen.push(event));
  return seen;
}

describe('sessions', () => {
  let running: RunningCoordinator | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  describe('/mymsgs', () => {
    it('returns only my messages, in order, with the server times they were accepted at', async () => {
      running = await startCoordinator();
      const [alice, bob] = await Promise.all([running.client(), running.client()]);
      await alice.login('alice');
      await bob.login('bob');
      const a1 = await alice.send('first from alice');
      await bob.send('from bob');
      const a2 = await alice.send('second from alice');

      const mine = await alice.myMessages();
      expect(mine.map((event) => event.text)).toEqual(['first from alice', 'second from alice']);
      expect(mine.map((event) => event.serverTs)).toEqual([a1.serverTs, a2.serverTs]);
      for (const event of mine) {
        expect(event.serverTs).toMatch(ISO_UTC_MS);
        expect(event.clientTs).toMatch(ISO_UTC_MS);
        expect(event.from).toBe('alice');
      }
      expect((await bob.myMessages()).map((event) => event.text)).toEqual(['from bob']);
    });

    it('starts empty when I take the name again: only what I sent since I took it', async () => {
      running = await startCoordinator();
      const alice = await running.client();
      await alice.login('alice');
      await alice.send('before logging out');
      await alice.logout();
      await alice.login('alice');
      expect(await alice.myMessages()).toEqual([]);
      await alice.send('after logging in again');
      expect((await alice.myMessages()).map((event) => event.text)).toEqual(['after logging in again']);
    });
  });

  describe('logout', () => {
    it('frees the name at once, tells the others the user left with reason exit, and logs it', async () => {
      running = await startCoordinator();
      const [alice, bob, carol] = await Promise.all([running.client(), running.client(), running.client()]);
      await alice.login('alice');
      await bob.login('bob');
      const seenByBob = presences(bob);
      await alice.logout();

      // At once: the next login for the name succeeds without waiting for any timeout.
      await expect(carol.login('ALICE')).resolves.toMatchObject({ name: 'ALICE' });
      await waitFor(() => seenByBob.find((event) => event.event === 'left'), 'bob to see alice leave');
      expect(seenByBob.filter((event) => event.event === 'left')).toEqual([
        { type: 'presence', event: 'left', name: 'alice', reason: 'exit', serverTs: expect.stringMatching(ISO_UTC_MS), online: 1 },
      ]);
      expect(linesOfKind(running.logLines(), 'LEAVE').map((line) => line.fields)).toEqual([{ name: 'alice', reason: 'exit' }]);
      expect((await bob.users()).map((user) => user.name)).toEqual(['ALICE', 'bob']);
    });

    it('ends the session: the old token no longer works', async () => {
      running = await startCoordinator();
      const alice = await running.client();
      const { token } = await alice.login('alice');
      await alice.logout();
      await expect(alice.users()).rejects.toMatchObject({ code: ERROR_CODES.NOT_LOGGED_IN });
      const wire = await RawWire.open(running.namespace, { watchDeadLetters: false });
      try {
        await wire.send('command', bytes({ type: 'users', requestId: 'old-token', token }));
        expect((await wire.replyTo('old-token')).body).toMatchObject({ type: 'error', code: ERROR_CODES.SESSION_UNKNOWN });
      } finally {
        await wire.close();
      }
    });
  });

  describe('a client that stops heartbeating', () => {
    it('loses its name after the session timeout, and the others see it leave with reason timeout', async () => {
      running = await startCoordinator({ sessionTimeoutMs: 1500 });
      const [alice, bob, carol] = await Promise.all([running.client(), running.client(), running.client()]);
      await alice.login('alice');
      await bob.login('bob');
      const seenByBob = presences(bob);
      // Gone without a word, as if killed: no logout.
      await alice.close({ logout: false });

      const left = await waitFor(() => seenByBob.find((event) => event.event === 'left'), 'bob to see alice time out', 15_000);
      expect(left).toMatchObject({ name: 'alice', reason: 'timeout' });
      expect(linesOfKind(running.logLines(), 'LEAVE').map((line) => line.fields)).toEqual([{ name: 'alice', reason: 'timeout' }]);
      await expect(carol.login('alice')).resolves.toMatchObject({ name: 'alice' });
      // Bob kept heartbeating all along, so he is still there.
      expect((await bob.users()).map((user) => user.name)).toEqual(['alice', 'bob']);
    });
  });

  describe('history on login', () => {
    it('gives a newcomer the recent messages in order, and the client shows them once', async () => {
      running = await startCoordinator({ historyOnJoin: 2 });
      const alice = await running.client();
      await alice.login('alice');
      for (const text of ['one', 'two', 'three']) await alice.send(text);

      const bob = await running.client();
      const shown: ChatEvent[] = [];
      bob.on('message', (event) => shown.push(event));
      const login = await bob.login('bob');
      expect(login.lastSeq).toBe(3);
      expect(login.history.map((event) => [event.seq, event.text])).toEqual([
        [2, 'two'],
        [3, 'three'],
      ]);
      expect(shown.map((event) => event.text)).toEqual(['two', 'three']);

      // Live messages follow on without a gap or a repeat.
      await alice.send('four');
      await waitFor(() => shown.length === 3, 'bob to receive the live message');
      expect(shown.map((event) => event.seq)).toEqual([2, 3, 4]);
    });

    it('is empty in a new chat', async () => {
      running = await startCoordinator();
      const alice = await running.client();
      const login = await alice.login('alice');
      expect(login.history).toEqual([]);
      expect(login.lastSeq).toBe(0);
    });
  });
});
