import { ERROR_CODES } from '../../shared/index.js';
import { person, record, refusedWith, settleWith, type Person } from '../support/conversation-kit.js';
import { startCoordinator, type RunningCoordinator } from '../support/coordinator.js';
import { linesOfKind } from '../support/log-lines.js';
import { waitFor } from '../support/wait.js';

const roomNames = (p: Person): string[] => p.client.rooms.map((room) => room.name);

describe('rooms and roles', () => {
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

  it('creates a room with its creator as admin, and refuses an existing or invalid name', async () => {
    const info = await alice.client.createRoom('Lounge');
    expect(info).toMatchObject({ name: 'lounge', kind: 'public', role: 'admin', members: 1, online: 1 });
    expect(roomNames(alice)).toEqual(['general', 'lounge']);

    await refusedWith(alice.client.createRoom('lounge'), ERROR_CODES.ROOM_EXISTS);
    await refusedWith(bob.client.createRoom('LOUNGE'), ERROR_CODES.ROOM_EXISTS);
    await refusedWith(bob.client.createRoom('#lounge', { secret: true }), ERROR_CODES.ROOM_EXISTS);
    await refusedWith(bob.client.createRoom('general'), ERROR_CODES.ROOM_EXISTS);
    for (const bad of ['two words', '-dash-first', 'x'.repeat(33), 'dm:alice:bob', 'émoji', 'semi;colon']) {
      const reason = await refusedWith(bob.client.createRoom(bad), ERROR_CODES.ROOM_INVALID);
      expect(reason).toMatch(/invalid room name/);
    }
    expect(roomNames(bob)).toEqual(['general']);

    const created = linesOfKind(running.logLines(), 'ROOM').filter((line) => line.fields.event === 'created');
    expect(created).toHaveLength(1);
    expect(created[0]?.fields).toMatchObject({ room: 'lounge', name: 'alice', detail: 'public' });
    expect(created[0]?.fields.client_ts).toMatch(/Z$/);
    expect(created[0]?.fields.server_ts).toMatch(/Z$/);
  });

  it('joining a public room shows its history in server order, then its live messages', async () => {
    await alice.client.createRoom('lounge');
    for (const text of ['one', 'two', 'three']) await alice.client.send(text, { room: 'lounge' });
    const joined = await bob.client.joinRoom('lounge');
    expect(joined).toMatchObject({ name: 'lounge', role: 'member', members: 2, online: 2 });
    expect(bob.seen.messages.filter((event) => event.room === 'lounge').map((event) => [event.seq, event.text])).toEqual([
      [1, 'one'],
      [2, 'two'],
      [3, 'three'],
    ]);
    await waitFor(() => alice.seen.roomEvents.find((event) => event.event === 'joined' && event.name === 'bob'), 'alice to see bob join');

    await alice.client.send('four', { room: 'lounge' });
    await bob.seen.waitForText('four');
    expect(bob.seen.texts('lounge')).toEqual(['one', 'two', 'three', 'four']);
    // Carol is not in the room: nothing of it reaches her.
    await settleWith(alice.client, [carol.seen, bob.seen]);
    expect(carol.seen.texts('lounge')).toEqual([]);
    expect(carol.seen.roomEvents).toEqual([]);
  });

  it('refuses a message to a room I am not in, or one that does not exist', async () => {
    await alice.client.createRoom('lounge');
    await refusedWith(bob.client.send('hi', { room: 'lounge' }), ERROR_CODES.NOT_A_MEMBER);
    await refusedWith(bob.client.send('hi', { room: 'nowhere' }), ERROR_CODES.UNKNOWN_ROOM);
    await refusedWith(bob.client.history({ room: 'lounge' }), ERROR_CODES.UNKNOWN_ROOM);
    await refusedWith(bob.client.joinRoom('nowhere'), ERROR_CODES.UNKNOWN_ROOM);
    await refusedWith(bob.client.leaveRoom('lounge'), ERROR_CODES.NOT_A_MEMBER);
  });

  it('keeps a secret room unlisted and closed to the uninvited until an admin invites', async () => {
    const info = await alice.client.createRoom('vault', { secret: true });
    expect(info).toMatchObject({ name: 'vault', kind: 'secret', role: 'admin' });
    await alice.client.createRoom('plaza');
    expect((await bob.client.listRooms()).map((room) => room.name)).toEqual(['general', 'plaza']);
    expect((await alice.client.listRooms()).map((room) => room.name)).toEqual(['general', 'plaza', 'vault']);

    // Answered as for a room that does not exist: the name of a secret room is never confirmed.
    await refusedWith(bob.client.joinRoom('vault'), ERROR_CODES.UNKNOWN_ROOM);
    await refusedWith(bob.client.send('knock knock', { room: 'vault' }), ERROR_CODES.UNKNOWN_ROOM);
    await alice.client.send('before bob', { room: 'vault' });

    expect(await alice.client.invite('bob', 'vault')).toMatch(/bob is now a member of #vault/);
    await waitFor(() => roomNames(bob).includes('vault'), 'bob to follow #vault');
    expect(bob.seen.roomEvents).toContainEqual(expect.objectContaining({ room: 'vault', event: 'invited', name: 'bob', by: 'alice' }));
    expect((await bob.client.listRooms()).find((room) => room.name === 'vault')).toMatchObject({ kind: 'secret', role: 'member', members: 2 });
    // Invited, bob sees the room's history and its new messages, and can write to it.
    await bob.seen.waitForText('before bob');
    await alice.client.send('welcome bob', { room: 'vault' });
    await bob.seen.waitForText('welcome bob');
    await bob.client.send('thanks', { room: 'vault' });
    await alice.seen.waitForText('thanks');
    // Carol still sees nothing of it.
    expect((await carol.client.listRooms()).map((room) => room.name)).not.toContain('vault');
    await settleWith(alice.client, [carol.seen]);
    expect(carol.seen.texts('vault')).toEqual([]);
  });

  it('/leave stops the room; general cannot be left; the last admin cannot leave others behind', async () => {
    await alice.client.createRoom('lounge');
    await bob.client.joinRoom('lounge');
    await refusedWith(bob.client.leaveRoom('general'), ERROR_CODES.CANNOT_LEAVE);
    const reason = await refusedWith(alice.client.leaveRoom('lounge'), ERROR_CODES.LAST_ADMIN);
    expect(reason).toMatch(/promote/);
    expect(roomNames(alice)).toContain('lounge');

    expect(await bob.client.leaveRoom('lounge')).toBe('You left #lounge.');
    expect(roomNames(bob)).toEqual(['general']);
    await waitFor(() => alice.seen.roomEvents.find((event) => event.event === 'left' && event.name === 'bob'), 'alice to see bob leave');
    await alice.client.send('after bob left', { room: 'lounge' });
    await settleWith(alice.client, [bob.seen]);
    expect(bob.seen.texts('lounge')).not.toContain('after bob left');
    await refusedWith(bob.client.send('still here?', { room: 'lounge' }), ERROR_CODES.NOT_A_MEMBER);

    // Alone in the room, the admin may leave it.
    expect(await alice.client.leaveRoom('lounge')).toBe('You left #lounge.');
    const left = linesOfKind(running.logLines(), 'ROOM').filter((line) => line.fields.event === 'left');
    expect(left.map((line) => line.fields.name)).toEqual(['bob', 'alice']);
    expect(left.every((line) => /Z$/.test(line.fields.client_ts ?? '') && /Z$/.test(line.fields.server_ts ?? ''))).toBe(true);
  });

  it('keeps an admin: whoever joins a room its last admin left empty becomes its admin', async () => {
    await alice.client.createRoom('lounge');
    await alice.client.leaveRoom('lounge');
    const joined = await bob.client.joinRoom('lounge');
    expect(joined).toMatchObject({ role: 'admin', members: 1 });
    await carol.client.joinRoom('lounge');
    expect((await carol.client.listRooms()).find((room) => room.name === 'lounge')?.role).toBe('member');
    expect(await bob.client.kick('carol', 'lounge')).toBe('carol was removed from #lounge.');
  });

  it('refuses invite, kick, promote and room ttl from a member who is not an admin', async () => {
    await alice.client.createRoom('lounge');
    await bob.client.joinRoom('lounge');
    await carol.client.joinRoom('lounge');
    await refusedWith(bob.client.invite('dave', 'lounge'), ERROR_CODES.NOT_ADMIN);
    await refusedWith(bob.client.kick('carol', 'lounge'), ERROR_CODES.NOT_ADMIN);
    await refusedWith(bob.client.kick('alice', 'lounge'), ERROR_CODES.NOT_ADMIN);
    await refusedWith(bob.client.promote('bob', 'lounge'), ERROR_CODES.NOT_ADMIN);
    await refusedWith(bob.client.promote('carol', 'lounge'), ERROR_CODES.NOT_ADMIN);
    await refusedWith(bob.client.setRoomTtl('lounge', 60_000), ERROR_CODES.NOT_ADMIN);
    // Nothing changed: carol is still in, bob is still a member, no ttl.
    const rooms = await bob.client.listRooms();
    expect(rooms.find((room) => room.name === 'lounge')).toMatchObject({ role: 'member', members: 3, ttlMs: null });
    const whois = await alice.client.whois('bob');
    expect(whois.rooms).toContainEqual({ name: 'lounge', role: 'member' });
    // Nor anyone outside the room, nor anyone in general, which has no admins.
    await refusedWith(carol.client.leaveRoom('lounge').then(() => carol.client.kick('bob', 'lounge')), ERROR_CODES.NOT_A_MEMBER);
    await refusedWith(alice.client.kick('bob', 'general'), ERROR_CODES.NOT_ADMIN);
    await refusedWith(alice.client.invite('bob', 'general'), ERROR_CODES.NOT_ADMIN);
    await refusedWith(alice.client.setRoomTtl('general', 60_000), ERROR_CODES.NOT_ADMIN);
    expect(linesOfKind(running.logLines(), 'ROOM').filter((line) => ['invited', 'kicked', 'promoted', 'ttl'].includes(line.fields.event ?? ''))).toEqual([]);
  });

  it('a promoted member can kick; the kicked member stops receiving the room', async () => {
    await alice.client.createRoom('lounge');
    await bob.client.joinRoom('lounge');
    await carol.client.joinRoom('lounge');
    expect(await alice.client.promote('bob', 'lounge')).toBe('bob is now an admin of #lounge.');
    await waitFor(() => carol.seen.roomEvents.find((event) => event.event === 'promoted' && event.name === 'bob'), 'carol to see bob promoted');

    expect(await bob.client.kick('carol', 'lounge')).toBe('carol was removed from #lounge.');
    await waitFor(() => carol.seen.roomEvents.find((event) => event.event === 'kicked' && event.name === 'carol' && event.by === 'bob'), 'carol to be told');
    await waitFor(() => !roomNames(carol).includes('lounge'), 'carol to stop following #lounge');
    await waitFor(() => alice.seen.roomEvents.find((event) => event.event === 'kicked'), 'alice to see the kick');

    await alice.client.send('carol cannot see this', { room: 'lounge' });
    await bob.seen.waitForText('carol cannot see this');
    await settleWith(alice.client, [carol.seen]);
    expect(carol.seen.texts('lounge')).not.toContain('carol cannot see this');
    await refusedWith(carol.client.send('let me back', { room: 'lounge' }), ERROR_CODES.NOT_A_MEMBER);
    await refusedWith(carol.client.history({ room: 'lounge' }), ERROR_CODES.UNKNOWN_ROOM);

    // With two admins, alice may now leave; bob stays the admin.
    await alice.client.leaveRoom('lounge');
    expect((await bob.client.listRooms()).find((room) => room.name === 'lounge')).toMatchObject({ role: 'admin', members: 1 });

    const events = linesOfKind(running.logLines(), 'ROOM').map((line) => [line.fields.event, line.fields.name, line.fields.by]);
    expect(events).toEqual([
      ['created', 'alice', undefined],
      ['joined', 'bob', undefined],
      ['joined', 'carol', undefined],
      ['promoted', 'bob', 'alice'],
      ['kicked', 'carol', 'bob'],
      ['left', 'alice', undefined],
    ]);
  });

  it('a member kicked from a secret room stops receiving it', async () => {
    await alice.client.createRoom('vault', { secret: true });
    await alice.client.invite('carol', 'vault');
    await waitFor(() => roomNames(carol).includes('vault'), 'carol to follow #vault');
    await alice.client.kick('carol', 'vault');
    await waitFor(() => carol.seen.roomEvents.find((event) => event.event === 'kicked'), 'carol to be told');
    await alice.client.send('after the kick', { room: 'vault' });
    await settleWith(alice.client, [carol.seen]);
    expect(carol.seen.texts('vault')).toEqual([]);
    await refusedWith(carol.client.joinRoom('vault'), ERROR_CODES.UNKNOWN_ROOM);
  });

  it('refuses member actions that make no sense', async () => {
    await alice.client.createRoom('lounge');
    await bob.client.joinRoom('lounge');
    await refusedWith(alice.client.invite('bob', 'lounge'), ERROR_CODES.ALREADY_MEMBER);
    await refusedWith(alice.client.kick('carol', 'lounge'), ERROR_CODES.NOT_A_MEMBER);
    await refusedWith(alice.client.promote('carol', 'lounge'), ERROR_CODES.NOT_A_MEMBER);
    await refusedWith(alice.client.kick('alice', 'lounge'), ERROR_CODES.COMMAND_USAGE);
    await refusedWith(alice.client.invite('bad name', 'lounge'), ERROR_CODES.NAME_INVALID);
    await refusedWith(alice.client.invite('bob', 'no such room'), ERROR_CODES.ROOM_INVALID);
    await refusedWith(alice.client.invite('bob', 'nowhere'), ERROR_CODES.UNKNOWN_ROOM);
    await alice.client.promote('bob', 'lounge');
    await refusedWith(alice.client.promote('bob', 'lounge'), ERROR_CODES.ALREADY_MEMBER);
  });

  it('an admin can invite a registered name offline, who finds the room on login', async () => {
    const before = await person(running, 'dave');
    await before.client.register('dave password 1');
    await before.client.logout();
    await alice.client.createRoom('lounge');
    await alice.client.send('hello future dave', { room: 'lounge' });
    await alice.client.invite('dave', 'lounge');
    const daveClient = await running.client();
    const dave = { client: daveClient, seen: record(daveClient) };
    await daveClient.login('dave', 'dave password 1');
    expect(roomNames(dave)).toEqual(['general', 'lounge']);
    await alice.client.send('dave is here', { room: 'lounge' });
    await dave.seen.waitForText('dave is here');
  });

  it('/whois shows presence and roles in the rooms we share', async () => {
    await alice.client.createRoom('lounge');
    await alice.client.createRoom('attic');
    await bob.client.joinRoom('lounge');
    await bob.client.createRoom('cellar');
    const info = await alice.client.whois('BOB');
    expect(info).toMatchObject({ name: 'bob', online: true });
    expect(info.since).toMatch(/Z$/);
    expect(info.rooms).toEqual([
      { name: 'general', role: 'member' },
      { name: 'lounge', role: 'member' },
    ]);
    expect((await bob.client.whois('alice')).rooms).toEqual([
      { name: 'general', role: 'member' },
      { name: 'lounge', role: 'admin' },
    ]);

    // A registered name keeps its rooms while offline (a guest's would be forgotten).
    await bob.client.register('bob password 1');
    await bob.client.logout();
    const offline = await alice.client.whois('bob');
    expect(offline).toMatchObject({ name: 'bob', online: false, rooms: [{ name: 'lounge', role: 'member' }] });
    expect(offline.since).toBeUndefined();

    expect(await alice.client.whois('nobody')).toMatchObject({ online: false, rooms: [] });
    await refusedWith(alice.client.whois('two words'), ERROR_CODES.NAME_INVALID);
  });

  it('lists rooms with members online and my role', async () => {
    await alice.client.createRoom('lounge');
    await bob.client.joinRoom('lounge');
    const rooms = await carol.client.listRooms();
    expect(rooms.find((room) => room.name === 'lounge')).toMatchObject({ kind: 'public', role: null, members: 2, online: 2 });
    expect(rooms.find((room) => room.name === 'general')).toMatchObject({ role: 'member', online: 3 });
    await bob.client.register('bob password 1');
    await bob.client.logout();
    expect((await alice.client.listRooms()).find((room) => room.name === 'lounge')).toMatchObject({ role: 'admin', members: 2, online: 1 });
  });
});

describe('history on join', () => {
  it('shows only the configured number of recent messages, oldest first', async () => {
    const running = await startCoordinator({ historyOnJoin: 3 });
    try {
      const alice = await person(running, 'alice');
      const bob = await person(running, 'bob');
      await alice.client.createRoom('lounge');
      for (const text of ['m1', 'm2', 'm3', 'm4', 'm5']) await alice.client.send(text, { room: 'lounge' });
      await bob.client.joinRoom('lounge');
      expect(bob.seen.texts('lounge')).toEqual(['m3', 'm4', 'm5']);
      const page = await bob.client.history({ room: 'lounge', limit: 2 });
      expect(page.messages.map((event) => event.text)).toEqual(['m4', 'm5']);
    } finally {
      await running.stop();
    }
  });
});
