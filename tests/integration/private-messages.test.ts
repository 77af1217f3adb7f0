import { Chalk } from 'chalk';
import type { ConsumeMessage } from 'amqplib';
import { createFormatter } from '../../client/ui/format.js';
import { SessionController } from '../../client/ui/session-controller.js';
import { ERROR_CODES, directRoomName, type ServerMessage } from '../../shared/index.js';
import { rawChannel } from '../support/broker.js';
import { person, record, refusedWith, settleWith } from '../support/conversation-kit.js';
import { startCoordinator, type RunningCoordinator } from '../support/coordinator.js';
import { linesOfKind } from '../support/log-lines.js';
import { waitFor } from '../support/wait.js';

describe('private messages', () => {
  let running: RunningCoordinator;
  beforeEach(async () => {
    running = await startCoordinator();
  });
  afterEach(async () => {
    await running.stop();
  });

  it('reach only sender and recipient, marked private, and the sender learns it was delivered', async () => {
    const alice = await person(running, 'alice');
    const bob = await person(running, 'bob');
    const carol = await person(running, 'carol');

    const accepted = await alice.client.send('psst, bob', { to: 'bob' });
    expect(accepted).toMatchObject({ from: 'alice', to: 'bob', text: 'psst, bob', room: directRoomName('alice', 'bob') });
    expect(accepted.num).toBeGreaterThan(0);

    const got = await bob.seen.waitForText('psst, bob');
    expect(got).toMatchObject({ from: 'alice', to: 'bob', num: accepted.num });
    await waitFor(() => alice.seen.privateStatus.length > 0, 'the delivery status');
    expect(alice.seen.privateStatus).toEqual([expect.objectContaining({ to: 'bob', delivered: true })]);
    // The sender sees it once (as accepted), marked with the recipient.
    expect(alice.seen.messages.filter((event) => event.text === 'psst, bob')).toHaveLength(1);

    await settleWith(alice.client, [alice.seen, bob.seen, carol.seen]);
    expect(carol.seen.texts()).not.toContain('psst, bob');
    expect(carol.seen.messages.every((event) => event.to === undefined)).toBe(true);
    expect(bob.seen.messages.filter((event) => event.text === 'psst, bob')).toHaveLength(1);

    // The log records it as private, with both timestamps.
    const line = linesOfKind(running.logLines(), 'MESSAGE').find((entry) => entry.fields.text === 'psst, bob');
    expect(line?.fields).toMatchObject({ from: 'alice', to: 'bob', room: directRoomName('alice', 'bob') });
    expect(line?.fields.client_ts).toMatch(/Z$/);
    expect(line?.fields.server_ts).toMatch(/Z$/);
  });

  it('answers in the same private chat, and the recipient can reply with /msg back', async () => {
    const alice = await person(running, 'alice');
    const bob = await person(running, 'Bob');
    await alice.client.send('hi', { to: 'bob' });
    await bob.seen.waitForText('hi');
    const reply = await bob.client.send('hi yourself', { to: 'alice' });
    expect(reply.room).toBe(directRoomName('alice', 'bob'));
    expect(reply.to).toBe('alice');
    const got = await alice.seen.waitForText('hi yourself');
    expect(got.seq).toBe(2);
  });

  it('is kept for a registered recipient who is away and given exactly once on login', async () => {
    const registering = await person(running, 'dave');
    await registering.client.register('dave password 1');
    await registering.client.logout();
    const alice = await person(running, 'alice');
    await alice.client.send('first, while you were out', { to: 'dave' });
    await alice.client.send('second, while you were out', { to: 'dave' });
    await waitFor(() => alice.seen.privateStatus.length === 2, 'two delivery statuses');
    expect(alice.seen.privateStatus.map((status) => [status.to, status.delivered])).toEqual([
      ['dave', false],
      ['dave', false],
    ]);

    const daveClient = await running.client();
    const dave = record(daveClient);
    const login = await daveClient.login('dave', 'dave password 1');
    expect(login.privateBacklog.map((event) => event.text)).toEqual(['first, while you were out', 'second, while you were out']);
    expect(login.privateBacklog.every((event) => event.from === 'alice' && event.to === 'dave')).toBe(true);
    // The client shows the backlog as messages, in order.
    expect(dave.texts()).toEqual(['first, while you were out', 'second, while you were out']);

    await daveClient.logout();
    const again = await daveClient.login('dave', 'dave password 1');
    expect(again.privateBacklog).toEqual([]);
  });

  it('is kept for a recipient who logged out and given on return, not again on the next login', async () => {
    const alice = await person(running, 'alice');
    const bob = await person(running, 'bob');
    await alice.client.send('live one', { to: 'bob' });
    await bob.seen.waitForText('live one');
    await bob.client.register('bob password 1');
    await bob.client.logout();

    await alice.client.send('stored one', { to: 'bob' });
    await waitFor(() => alice.seen.privateStatus.length === 2, 'the second delivery status');
    expect(alice.seen.privateStatus[1]).toMatchObject({ to: 'bob', delivered: false });

    const back = await running.client();
    const backSeen = record(back);
    const login = await back.login('bob', 'bob password 1');
    // Only what was not delivered: the live one is not repeated.
    expect(login.privateBacklog.map((event) => event.text)).toEqual(['stored one']);
    expect(backSeen.texts(directRoomName('alice', 'bob'))).toEqual(['stored one']);
    await back.logout();
    expect((await back.login('bob', 'bob password 1')).privateBacklog).toEqual([]);
  });

  it('cannot be read, joined, written to, edited or deleted by a third person', async () => {
    const alice = await person(running, 'alice');
    const bob = await person(running, 'bob');
    const carol = await person(running, 'carol');
    const secret = await alice.client.send('only for bob', { to: 'bob' });
    await bob.seen.waitForText('only for bob');
    const room = directRoomName('alice', 'bob');

    await refusedWith(carol.client.history({ room }), ERROR_CODES.UNKNOWN_ROOM);
    await refusedWith(carol.client.send('let me in', { room }), ERROR_CODES.UNKNOWN_ROOM);
    await refusedWith(carol.client.joinRoom(room), ERROR_CODES.ROOM_INVALID);
    await refusedWith(carol.client.edit(secret.num, 'forged'), ERROR_CODES.UNKNOWN_MESSAGE);
    await refusedWith(carol.client.delete(secret.num), ERROR_CODES.UNKNOWN_MESSAGE);
    // The recipient may not delete or edit the sender's private message either.
    await refusedWith(bob.client.edit(secret.num, 'forged'), ERROR_CODES.NOT_YOUR_MESSAGE);
    await refusedWith(bob.client.delete(secret.num), ERROR_CODES.NOT_YOUR_MESSAGE);
    // Private chats are not rooms anyone lists.
    expect((await carol.client.listRooms()).map((info) => info.name)).not.toContain(room);
    expect((await bob.client.listRooms()).map((info) => info.name)).not.toContain(room);

    const history = await bob.client.history({ room });
    expect(history.messages.map((event) => event.text)).toEqual(['only for bob']);
  });

  it('refuses an invalid recipient name', async () => {
    const alice = await person(running, 'alice');
    await refusedWith(alice.client.send('hello?', { to: 'two words' }), ERROR_CODES.NAME_INVALID);
    await refusedWith(alice.client.send('hello?', { to: 'bad\u001bname' }), ERROR_CODES.NAME_INVALID);
  });

  it('never reaches a queue bound by hand to the events exchange with "#", nor do secret rooms', async () => {
    const alice = await person(running, 'alice');
    const bob = await person(running, 'bob');
    await alice.client.createRoom('vault', { secret: true });
    await alice.client.invite('bob', 'vault');
    await waitFor(() => bob.client.rooms.some((room) => room.name === 'vault'), 'bob to follow #vault');
    await alice.client.createRoom('plaza');

    const raw = await rawChannel();
    try {
      const { channel } = raw;
      const topology = alice.client.topology;
      const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
      await channel.bindQueue(queue, topology.eventsExchange, '#');
      const seen: ServerMessage[] = [];
      await channel.consume(queue, (msg: ConsumeMessage | null) => {
        if (msg) seen.push(JSON.parse(msg.content.toString('utf8')) as ServerMessage);
      }, { noAck: true });

      await alice.client.send('secret plans', { room: 'vault' });
      await alice.client.send('for bob only', { to: 'bob' });
      await bob.seen.waitForText('secret plans');
      await bob.seen.waitForText('for bob only');
      await alice.client.send('public square', { room: 'plaza' });
      await alice.client.send('hello general');

      const texts = (): string[] => seen.flatMap((body) => (body.type === 'message' ? [body.text] : []));
      await waitFor(() => texts().includes('hello general'), () => `the bound queue to get public traffic; it has ${JSON.stringify(texts())}`);
      expect(texts()).toContain('public square');
      expect(texts()).not.toContain('secret plans');
      expect(texts()).not.toContain('for bob only');
      expect(JSON.stringify(seen)).not.toMatch(/secret plans|for bob only|dm:/);
      // Nor anything else of the secret room (membership events, for instance).
      expect(seen.some((body) => 'room' in body && body.room === 'vault')).toBe(false);
    } finally {
      await raw.close();
    }
  });

  it('$private USER TEXT sends the same private message as /msg USER TEXT', async () => {
    const alice = await person(running, 'alice');
    const bob = await person(running, 'bob');
    const printed: string[] = [];
    const controller = new SessionController(alice.client, createFormatter(new Chalk({ level: 0 }), { localTime: false }), {
      print: (...lines) => printed.push(...lines),
      printMessage: (_num, line) => printed.push(line),
      replaceMessage: (_num, _line, notice) => printed.push(notice),
      printError: (line) => printed.push(line),
      bell: () => undefined,
    });
    await controller.handleLine('$private bob old style');
    await controller.handleLine('/msg bob new style');
    expect(await controller.settle()).toBe(0);
    await bob.seen.waitForText('new style');
    expect(bob.seen.messages.map((event) => [event.text, event.to])).toEqual([
      ['old style', 'bob'],
      ['new style', 'bob'],
    ]);
    await waitFor(() => printed.filter((line) => line.includes('delivered to bob')).length === 2, () => `two confirmations; printed ${JSON.stringify(printed)}`);
    expect(printed.filter((line) => line.includes('[private → bob]'))).toHaveLength(2);
  });
});
