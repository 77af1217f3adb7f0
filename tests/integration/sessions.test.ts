import { randomUUID } from 'node:crypto';
import type { WarrenClient } from '../../client/lib/warren-client.js';
import { ERROR_CODES, type ChatEvent, type PresenceEvent } from '../../shared/index.js';
import { startCoordinator, type RunningCoordinator } from '../support/coordinator.js';
import { linesOfKind } from '../support/log-lines.js';
import { waitFor } from '../support/wait.js';
import { RawPeer, body } from '../support/raw-peer.js';

const ISO_UTC_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

function presenceOf(client: WarrenClient): PresenceEvent[] {
  const seen: PresenceEvent[] = [];
  client.on('presence', (event) => seen.push(event));
  return seen;
}

describe('sessions', () => {
  let running: RunningCoordinator;
  afterEach(async () => {
    await running.stop();
  });

  describe('with the default timeout', () => {
    beforeEach(async () => {
      running = await startCoordinator({ historyOnJoin: 3 });
    });

    it('/mymsgs lists only my messages, in order, with the server times they were accepted at', async () => {
      const alice = await running.client();
      const bob = await running.client();
      await alice.login('alice');
      await bob.login('bob');
      const mine: ChatEvent[] = [];
      mine.push(await alice.send('first of alice'));
      const bobs = await bob.send('one of bob');
      mine.push(await alice.send('second of alice'));

      const listed = await alice.myMessages();
      expect(listed.map((event) => [event.from, event.text, event.seq])).toEqual(mine.map((event) => ['alice', event.text, event.seq]));
      expect(listed.map((event) => event.serverTs)).toEqual(mine.map((event) => event.serverTs));
      for (const event of listed) {
        expect(event.serverTs).toMatch(ISO_UTC_MS);
        expect(event.clientTs).toMatch(ISO_UTC_MS);
      }
      // The server times are the ones in the log.
      const logged = new Map(linesOfKind(running.logLines(), 'MESSAGE').map((line) => [line.fields.id, line.fields.server_ts]));
      for (const event of listed) expect(logged.get(event.id)).toBe(event.serverTs);

      expect((await bob.myMessages()).map((event) => event.id)).toEqual([bobs.id]);
    });

    it('/mymsgs starts empty when the name is taken again after /exit', async () => {
      const alice = await running.client();
      await alice.login('alice');
      await alice.send('before leaving');
      await alice.logout();
      await alice.login('alice');
      expect(await alice.myMessages()).toEqual([]);
      const after = await alice.send('after coming back');
      expect((await alice.myMessages()).map((event) => event.id)).toEqual([after.id]);
    });

    it("answers an input that carries the liveness probe's header like any other: only the coordinator's own probes are dropped", async () => {
      const raw = await RawPeer.open(running.namespace);
      try {
        // Through amq.default, as the probes travel, but with a body: an input, not a probe.
        await raw.send('command', body({ type: 'users', requestId: 'looks-like-a-probe', token: randomUUID() }), raw.replyQueue, { 'x-warren-liveness': 'forged' });
        const refused = await raw.reply((reply) => reply.body.type === 'error', 'the refusal of the unknown token');
        expect(refused.body).toMatchObject({ code: ERROR_CODES.SESSION_UNKNOWN, requestId: 'looks-like-a-probe' });
      } finally {
        await raw.close();
      }
    });

    it("frees the name at once on /exit, and others see 'left' with reason exit", async () => {
      const alice = await running.client();
      const bob = await running.client();
      const { token } = await alice.login('alice');
      await bob.login('bob');
      const bobSees = presenceOf(bob);

      await alice.logout();
      // Immediately, in any letter case, by another client.
      const another = await running.client();
      await expect(another.login('ALICE')).resolves.toMatchObject({ name: 'ALICE' });
      // The old session is gone with the name.
      const raw = await RawPeer.open(running.namespace);
      try {
        await raw.send('command', body({ type: 'users', requestId: 'old-token', token }));
        const refused = await raw.reply((reply) => reply.body.type === 'error', 'the refusal of the old token');
        expect(refused.body).toMatchObject({ code: ERROR_CODES.SESSION_UNKNOWN, requestId: 'old-token' });
      } finally {
        await raw.close();
      }

      const left = await waitFor(() => bobSees.find((event) => event.event === 'left'), "bob to see alice leave");
      expect(left).toMatchObject({ name: 'alice', reason: 'exit' });
      expect(left.serverTs).toMatch(ISO_UTC_MS);
      expect(linesOfKind(running.logLines(), 'LEAVE').map((line) => line.fields)).toEqual([{ name: 'alice', reason: 'exit' }]);
      expect((await bob.users()).map((user) => user.name)).toEqual(['ALICE', 'bob']);
    });

    it('gives a newcomer the recent history in order, and /history more on request', async () => {
      const alice = await running.client();
      await alice.login('alice');
      const sent: ChatEvent[] = [];
      for (const text of ['one', 'two', 'three', 'four']) sent.push(await alice.send(text));

      const carol = await running.client();
      const shown: ChatEvent[] = [];
      carol.on('message', (event) => shown.push(event));
      const login = await carol.login('carol');
      // historyOnJoin is 3: the last three, oldest first, and where the room stands.
      expect(login.history.map((event) => event.text)).toEqual(['two', 'three', 'four']);
      expect(login.lastSeq).toBe(4);
      expect(shown.map((event) => event.text)).toEqual(['two', 'three', 'four']);
      expect(login.history.map((event) => event.serverTs)).toEqual(sent.slice(1).map((event) => event.serverTs));

      expect((await carol.history({ limit: 10 })).messages.map((event) => event.text)).toEqual(['one', 'two', 'three', 'four']);
      expect((await carol.history({ afterSeq: 2 })).messages.map((event) => event.text)).toEqual(['three', 'four']);

      // A live message after the history follows it, once.
      await alice.send('five');
      await waitFor(() => shown.length === 4, 'carol to see the live message');
      expect(shown.map((event) => event.seq)).toEqual([2, 3, 4, 5]);
    });

    it('lists who is online with /users', async () => {
      const alice = await running.client();
      const bob = await running.client();
      const aliceSees = presenceOf(alice);
      await alice.login('alice');
      const bobLogin = await bob.login('bob');
      expect(bobLogin.users.map((user) => user.name)).toEqual(['alice', 'bob']);
      const joined = await waitFor(() => aliceSees.find((event) => event.event === 'joined' && event.name === 'bob'), 'alice to see bob join');
      expect(joined.online).toBe(2);
      const users = await alice.users();
      expect(users.map((user) => user.name)).toEqual(['alice', 'bob']);
      for (const user of users) expect(user.since).toMatch(ISO_UTC_MS);
    });
  });

  describe('with a short heartbeat timeout', () => {
    const TIMEOUT_MS = 1500;
    beforeEach(async () => {
      running = await startCoordinator({ sessionTimeoutMs: TIMEOUT_MS });
    });

    it("frees the name of a client that stopped heartbeating; others see 'left' with reason timeout", async () => {
      const alice = await running.client();
      const bob = await running.client();
      await alice.login('alice');
      const bobLogin = await bob.login('bob');
      expect(bobLogin.heartbeatIntervalMs).toBeLessThan(TIMEOUT_MS);
      const bobSees = presenceOf(bob);

      // Gone without a word: no logout, no more heartbeats.
      await alice.close({ logout: false });

      const left = await waitFor(() => bobSees.find((event) => event.event === 'left'), 'bob to see alice time out', 15_000);
      expect(left).toMatchObject({ name: 'alice', reason: 'timeout' });
      expect(linesOfKind(running.logLines(), 'LEAVE').map((line) => line.fields)).toEqual([{ name: 'alice', reason: 'timeout' }]);

      const again = await running.client();
      await expect(again.login('alice')).resolves.toMatchObject({ name: 'alice' });
      // Bob kept heartbeating through all of it and is still online.
      expect((await bob.users()).map((user) => user.name)).toEqual(['alice', 'bob']);
      expect(bobSees.filter((event) => event.event === 'left')).toHaveLength(1);
    });

    it('keeps the name of a client that is idle but heartbeating', async () => {
      const alice = await running.client();
      const bob = await running.client();
      await alice.login('alice');
      await bob.login('bob');
      const aliceSees = presenceOf(alice);
      await bob.close({ logout: false });
      // Bob's timeout coming due proves more than a timeout has passed for alice as well.
      await waitFor(() => aliceSees.find((event) => event.event === 'left' && event.name === 'bob'), 'bob to time out', 15_000);
      expect((await alice.users()).map((user) => user.name)).toEqual(['alice']);
      expect(aliceSees.filter((event) => event.event === 'left').map((event) => event.name)).toEqual(['bob']);
    });
  });
});
