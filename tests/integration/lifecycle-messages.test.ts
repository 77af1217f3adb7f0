import { ERROR_CODES, MAX_TTL_MS, MIN_TTL_MS } from '../../shared/index.js';
import { person, refusedWith, settleWith, type Person } from '../support/conversation-kit.js';
import { startCoordinator, type RunningCoordinator } from '../support/coordinator.js';
import { linesOfKind } from '../support/log-lines.js';
import { waitFor } from '../support/wait.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('message life cycle', () => {
  let running: RunningCoordinator;
  let alice: Person;
  let bob: Person;
  let carol: Person;
  beforeEach(async () => {
    running = await startCoordinator();
    alice = await person(running, 'alice');
    bob = await person(running, 'bob');
    carol = await person(running, 'carol');
  });
  afterEach(async () => {
    await running.stop();
  });

  it('gives every message a distinct number people can type', async () => {
    await alice.client.createRoom('lounge');
    const sent = [
      await alice.client.send('one'),
      await alice.client.send('two', { room: 'lounge' }),
      await alice.client.send('three', { to: 'bob' }),
      await bob.client.send('four'),
    ];
    const nums = sent.map((event) => event.num);
    expect(nums.every((num) => Number.isInteger(num) && num > 0)).toBe(true);
    expect(new Set(nums).size).toBe(4);
    const got = await bob.seen.waitForText('three');
    expect(got.num).toBe(sent[2]?.num);
  });

  it('an edit reaches everyone online in the room, and history and /mymsgs show the new text', async () => {
    const original = await alice.client.send('frist draft');
    await carol.seen.waitForText('frist draft');
    expect(await alice.client.edit(original.num, 'first draft, fixed')).toBe(`Message ${original.num} edited.`);

    for (const who of [alice, bob, carol]) {
      const update = await waitFor(() => who.seen.updates.find((event) => event.num === original.num), 'the update');
      expect(update).toMatchObject({ room: 'general', num: original.num, seq: original.seq, text: 'first draft, fixed' });
      expect(update.editedAt).toMatch(ISO);
    }
    const page = await bob.client.history();
    expect(page.messages.find((event) => event.num === original.num)).toMatchObject({ text: 'first draft, fixed', editedAt: expect.stringMatching(ISO) });
    const mine = await alice.client.myMessages();
    expect(mine.find((event) => event.num === original.num)).toMatchObject({ text: 'first draft, fixed', editedAt: expect.stringMatching(ISO) });

    // Someone who logs in later sees the current version.
    const dave = await person(running, 'dave');
    expect(dave.seen.messages.find((event) => event.num === original.num)).toMatchObject({ text: 'first draft, fixed' });
    expect(dave.seen.texts()).not.toContain('frist draft');

    const edit = linesOfKind(running.logLines(), 'EDIT');
    expect(edit).toHaveLength(1);
    expect(edit[0]?.fields).toMatchObject({ room: 'general', num: String(original.num), by: 'alice', text: 'first draft, fixed' });
    expect(edit[0]?.fields.client_ts).toMatch(ISO);
    expect(edit[0]?.fields.server_ts).toMatch(ISO);
  });

  it('an edit in a room reaches only its members', async () => {
    await alice.client.createRoom('lounge');
    await bob.client.joinRoom('lounge');
    const original = await alice.client.send('room text', { room: 'lounge' });
    await bob.seen.waitForText('room text');
    await alice.client.edit(original.num, 'room text, edited');
    await waitFor(() => bob.seen.updates.find((event) => event.num === original.num), 'bob to get the update');
    await settleWith(alice.client, [carol.seen]);
    expect(carol.seen.updates).toEqual([]);
  });

  it('refuses editing someone else\'s message, an unknown one, or with empty text', async () => {
    const original = await alice.client.send('alice wrote this');
    await refusedWith(bob.client.edit(original.num, 'bob was here'), ERROR_CODES.NOT_YOUR_MESSAGE);
    await refusedWith(alice.client.edit(999_999, 'nothing'), ERROR_CODES.UNKNOWN_MESSAGE);
    await refusedWith(alice.client.edit(original.num, '   '), ERROR_CODES.TEXT_EMPTY);
    // A message in a room I am not in is unknown to me, even to its number.
    await alice.client.createRoom('attic', { secret: true });
    const hidden = await alice.client.send('in the attic', { room: 'attic' });
    await refusedWith(bob.client.edit(hidden.num, 'peek'), ERROR_CODES.UNKNOWN_MESSAGE);
    await refusedWith(bob.client.delete(hidden.num), ERROR_CODES.UNKNOWN_MESSAGE);

    const page = await alice.client.history();
    expect(page.messages.find((event) => event.num === original.num)).toMatchObject({ text: 'alice wrote this' });
    expect(page.messages.find((event) => event.num === original.num)?.editedAt).toBeUndefined();
    expect(bob.seen.updates).toEqual([]);
    expect(linesOfKind(running.logLines(), 'EDIT')).toEqual([]);
  });

  it('deletes my own message for everyone, from history and /mymsgs', async () => {
    const keep = await alice.client.send('keep me');
    const gone = await alice.client.send('delete me');
    await bob.seen.waitForText('delete me');
    expect(await alice.client.delete(gone.num)).toBe(`Message ${gone.num} deleted.`);
    for (const who of [alice, bob, carol]) {
      const removal = await waitFor(() => who.seen.removals.find((event) => event.num === gone.num), 'the removal');
      expect(removal).toMatchObject({ room: 'general', seq: gone.seq, reason: 'deleted', by: 'alice' });
    }
    expect((await bob.client.history()).messages.map((event) => event.text)).toEqual(['keep me']);
    expect((await alice.client.myMessages()).map((event) => event.num)).toEqual([keep.num]);
    await refusedWith(alice.client.delete(gone.num), ERROR_CODES.UNKNOWN_MESSAGE);
    await refusedWith(alice.client.edit(gone.num, 'back?'), ERROR_CODES.UNKNOWN_MESSAGE);

    const line = linesOfKind(running.logLines(), 'DELETE');
    expect(line).toHaveLength(1);
    expect(line[0]?.fields).toMatchObject({ room: 'general', num: String(gone.num), by: 'alice' });
    expect(line[0]?.fields.client_ts).toMatch(ISO);
    expect(line[0]?.fields.server_ts).toMatch(ISO);
    // The original message line stays in the log: it is a record.
    expect(linesOfKind(running.logLines(), 'MESSAGE').some((entry) => entry.fields.text === 'delete me')).toBe(true);
  });

  it('an admin deletes anyone\'s message in their room; a member may not delete another\'s', async () => {
    await alice.client.createRoom('lounge');
    await bob.client.joinRoom('lounge');
    await carol.client.joinRoom('lounge');
    const bobs = await bob.client.send('bob says', { room: 'lounge' });
    const carols = await carol.client.send('carol says', { room: 'lounge' });
    await refusedWith(carol.client.delete(bobs.num), ERROR_CODES.NOT_YOUR_MESSAGE);
    // Being an admin of one room gives no rights over general.
    const inGeneral = await bob.client.send('bob in general');
    await refusedWith(alice.client.delete(inGeneral.num), ERROR_CODES.NOT_YOUR_MESSAGE);
    // Nor may an admin edit someone else's words.
    await refusedWith(alice.client.edit(bobs.num, 'put words in mouth'), ERROR_CODES.NOT_YOUR_MESSAGE);

    await alice.client.delete(bobs.num);
    const removal = await waitFor(() => carol.seen.removals.find((event) => event.num === bobs.num), 'carol to see the removal');
    expect(removal).toMatchObject({ reason: 'deleted', by: 'alice', room: 'lounge' });
    expect((await carol.client.history({ room: 'lounge' })).messages.map((event) => event.text)).toEqual(['carol says']);
    expect(carols.num).toBeGreaterThan(0);
  });

  it('a message with a time-to-live disappears from every view, history and the store, with a notice', async () => {
    const before = await alice.client.send('stays');
    const short = await alice.client.send('gone soon', { ttlMs: MIN_TTL_MS });
    expect(short.expiresAt).toMatch(ISO);
    expect(Date.parse(short.expiresAt ?? '') - Date.parse(short.serverTs)).toBe(MIN_TTL_MS);
    const got = await bob.seen.waitForText('gone soon');
    expect(got.expiresAt).toBe(short.expiresAt);

    for (const who of [alice, bob, carol]) {
      const removal = await waitFor(() => who.seen.removals.find((event) => event.num === short.num), 'the expiry', 10_000);
      expect(removal).toMatchObject({ reason: 'expired', room: 'general', seq: short.seq });
      expect(removal.by).toBeUndefined();
    }
    expect((await bob.client.history()).messages.map((event) => event.num)).toEqual([before.num]);
    expect((await alice.client.myMessages()).map((event) => event.num)).toEqual([before.num]);
    await refusedWith(alice.client.edit(short.num, 'too late'), ERROR_CODES.UNKNOWN_MESSAGE);
    const dave = await person(running, 'dave');
    expect(dave.seen.texts()).toEqual(['stays']);

    const expire = linesOfKind(running.logLines(), 'EXPIRE');
    expect(expire).toHaveLength(1);
    expect(expire[0]?.fields).toMatchObject({ room: 'general', num: String(short.num) });
    expect(expire[0]?.fields.server_ts).toMatch(ISO);
    const sent = linesOfKind(running.logLines(), 'MESSAGE').find((entry) => entry.fields.text === 'gone soon');
    expect(sent?.fields.expires_at).toBe(short.expiresAt);
  });

  it('a private message with a time-to-live expires for both people', async () => {
    const short = await alice.client.send('self-destructing', { to: 'bob', ttlMs: MIN_TTL_MS });
    await bob.seen.waitForText('self-destructing');
    for (const who of [alice, bob]) {
      await waitFor(() => who.seen.removals.find((event) => event.num === short.num && event.reason === 'expired'), 'the expiry');
    }
    expect((await bob.client.history({ room: short.room })).messages).toEqual([]);
    expect(carol.seen.removals).toEqual([]);
  });

  it('a room default time-to-live is set by an admin only and applies to new messages', async () => {
    await alice.client.createRoom('lounge');
    await bob.client.joinRoom('lounge');
    const old = await alice.client.send('written before the ttl', { room: 'lounge' });
    await refusedWith(bob.client.setRoomTtl('lounge', 1000), ERROR_CODES.NOT_ADMIN);
    expect(await alice.client.setRoomTtl('lounge', 1000)).toBe('New messages in #lounge now expire after 1s.');
    const notice = await waitFor(() => bob.seen.roomEvents.find((event) => event.event === 'ttl'), 'bob to see the ttl notice');
    expect(notice).toMatchObject({ room: 'lounge', ttlMs: 1000, name: 'alice' });
    expect((await bob.client.listRooms()).find((room) => room.name === 'lounge')?.ttlMs).toBe(1000);

    const fleeting = await bob.client.send('fleeting by default', { room: 'lounge' });
    expect(fleeting.expiresAt).toMatch(ISO);
    // An explicit ttl wins over the room's.
    const longer = await bob.client.send('explicit ttl', { room: 'lounge', ttlMs: 60_000 });
    expect(Date.parse(longer.expiresAt ?? '') - Date.parse(longer.serverTs)).toBe(60_000);
    await waitFor(() => alice.seen.removals.find((event) => event.num === fleeting.num && event.reason === 'expired'), 'the room ttl to expire it');
    const texts = (await alice.client.history({ room: 'lounge' })).messages.map((event) => event.text);
    expect(texts).toEqual(['written before the ttl', 'explicit ttl']);
    expect(old.expiresAt).toBeUndefined();

    expect(await alice.client.setRoomTtl('lounge', null)).toMatch(/no longer expire/);
    const lasting = await bob.client.send('lasting again', { room: 'lounge' });
    expect(lasting.expiresAt).toBeUndefined();
    // general has no default ttl.
    expect((await alice.client.send('general stays')).expiresAt).toBeUndefined();

    const ttlLines = linesOfKind(running.logLines(), 'ROOM').filter((line) => line.fields.event === 'ttl');
    expect(ttlLines.map((line) => line.fields.detail)).toEqual(['ttl_ms=1000', 'ttl_ms=off']);
    expect(ttlLines.every((line) => ISO.test(line.fields.client_ts ?? '') && ISO.test(line.fields.server_ts ?? ''))).toBe(true);
  });

  it('refuses a time-to-live out of range at the coordinator', async () => {
    // The library sends whatever it is given; the coordinator's schema is what refuses.
    await refusedWith(alice.client.send('too short', { ttlMs: MIN_TTL_MS - 1 }), ERROR_CODES.INVALID_MESSAGE);
    await refusedWith(alice.client.send('too long', { ttlMs: MAX_TTL_MS + 1 }), ERROR_CODES.INVALID_MESSAGE);
    await alice.client.createRoom('lounge');
    await refusedWith(alice.client.setRoomTtl('lounge', 0), ERROR_CODES.INVALID_MESSAGE);
    expect((await alice.client.listRooms()).find((room) => room.name === 'lounge')?.ttlMs).toBeNull();
    expect((await bob.client.history()).messages).toEqual([]);
  });
});

describe('message expiry across a restart', () => {
  it('removes a message whose time ran out while the coordinator was down', async () => {
    const first = await startCoordinator();
    const { dataDir, logDir, namespace } = first.options;
    const alice = await person(first, 'alice');
    const short = await alice.client.send('expires while down', { ttlMs: 1500 });
    await first.stop();
    await waitFor(() => Date.now() > Date.parse(short.expiresAt ?? ''), 'the ttl to pass');
    const second = await startCoordinator({ dataDir, logDir, namespace });
    try {
      await waitFor(() => linesOfKind(second.logLines(), 'EXPIRE').find((line) => line.fields.num === String(short.num)), 'the EXPIRE line');
      const bob = await person(second, 'bob');
      expect(bob.seen.texts()).toEqual([]);
    } finally {
      await second.stop();
    }
  });
});
