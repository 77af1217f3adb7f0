import { DEFAULT_ROOM, ERROR_CODES } from '../../shared/index.js';
import { handlerKit, queuesOf, refusedWith, replyOfType, routingKeysOf, type HandlerKit, type KitUser } from '../support/handler-kit.js';
import { STORE_ENGINES } from '../support/store-engines.js';

describe.each(STORE_ENGINES)('room handlers (real store on $name, no broker)', (engine) => {
  let kit: HandlerKit;
  let ana: KitUser;
  let bob: KitUser;
  let cyd: KitUser;

  beforeEach(() => {
    kit = handlerKit({ engine });
    ana = kit.login('Ana').user;
    bob = kit.login('Bob').user;
    cyd = kit.login('Cyd').user;
  });
  afterEach(() => kit.close());

  describe('create', () => {
    it('makes the creator its admin, logs it, and answers room.ok on the creator’s own queue', () => {
      const outcome = kit.command(ana, { type: 'create_room', room: 'dev', secret: false });
      const ok = replyOfType(outcome, 'room.ok', ana.queue);
      expect(ok.room).toMatchObject({ name: 'dev', kind: 'public', role: 'admin', members: 1, online: 1, routingKey: kit.topology.roomRoutingKey('dev') });
      expect(outcome.log).toEqual([expect.objectContaining({ kind: 'ROOM', event: 'created', room: 'dev', name: 'Ana', detail: 'public' })]);
      expect(outcome.events).toEqual([]);
      expect(kit.store.member('dev', 'ana')?.role).toBe('admin');
    });

    it('refuses a name that exists and a name that breaks the rules', () => {
      kit.command(ana, { type: 'create_room', room: 'dev', secret: false });
      expect(refusedWith(() => kit.command(bob, { type: 'create_room', room: 'dev', secret: false }))).toBe(ERROR_CODES.ROOM_EXISTS);
      expect(refusedWith(() => kit.command(bob, { type: 'create_room', room: DEFAULT_ROOM, secret: false }))).toBe(ERROR_CODES.ROOM_EXISTS);
      expect(refusedWith(() => kit.command(bob, { type: 'create_room', room: 'no spaces', secret: false }))).toBe(ERROR_CODES.ROOM_INVALID);
    });

    it('refuses a request with a token no session holds', () => {
      const ghost = { ...ana, token: 'not-a-token' };
      expect(refusedWith(() => kit.command(ghost, { type: 'create_room', room: 'dev', secret: false }))).toBe(ERROR_CODES.SESSION_UNKNOWN);
    });
  });

  describe('join and leave', () => {
    beforeEach(() => {
      kit.command(ana, { type: 'create_room', room: 'dev', secret: false });
    });

    it('joins a public room as a member and announces it on the room’s routing key', () => {
      const outcome = kit.command(bob, { type: 'join_room', room: 'dev' });
      expect(replyOfType(outcome, 'room.ok', bob.queue).room).toMatchObject({ role: 'member', members: 2 });
      expect(routingKeysOf(outcome, 'room.event')).toEqual([kit.topology.roomRoutingKey('dev')]);
      expect(kit.store.member('dev', 'bob')?.role).toBe('member');
    });

    it('answers a repeated join without announcing it again', () => {
      kit.command(bob, { type: 'join_room', room: 'dev' });
      const again = kit.command(bob, { type: 'join_room', room: 'dev' });
      expect(again.events).toEqual([]);
      expect(again.log).toEqual([]);
    });

    it('refuses an unknown room', () => {
      expect(refusedWith(() => kit.command(bob, { type: 'join_room', room: 'nowhere' }))).toBe(ERROR_CODES.UNKNOWN_ROOM);
    });

    it('never lets anyone leave general', () => {
      expect(refusedWith(() => kit.command(bob, { type: 'leave_room', room: DEFAULT_ROOM }))).toBe(ERROR_CODES.CANNOT_LEAVE);
    });

    it('keeps the last admin until someone else is promoted, then lets them go', () => {
      kit.command(bob, { type: 'join_room', room: 'dev' });
      expect(refusedWith(() => kit.command(ana, { type: 'leave_room', room: 'dev' }))).toBe(ERROR_CODES.LAST_ADMIN);
      kit.command(ana, { type: 'promote', room: 'dev', user: 'bob' });
      const left = kit.command(ana, { type: 'leave_room', room: 'dev' });
      expect(replyOfType(left, 'done', ana.queue).message).toContain('You left #dev');
      expect(kit.store.member('dev', 'ana')).toBeUndefined();
    });

    it('hands an empty room’s admin role to whoever joins it next', () => {
      kit.command(ana, { type: 'leave_room', room: 'dev' });
      kit.command(bob, { type: 'join_room', room: 'dev' });
      expect(kit.store.member('dev', 'bob')?.role).toBe('admin');
    });

    it('refuses leaving a room one is not in', () => {
      expect(refusedWith(() => kit.command(bob, { type: 'leave_room', room: 'dev' }))).toBe(ERROR_CODES.NOT_A_MEMBER);
    });
  });

  describe('secret rooms', () => {
    beforeEach(() => {
      kit.command(ana, { type: 'create_room', room: 'ops', secret: true });
    });

    it('are invite-only and hidden from the room list of non-members', () => {
      expect(refusedWith(() => kit.command(bob, { type: 'join_room', room: 'ops' }))).toBe(ERROR_CODES.UNKNOWN_ROOM);
      const list = replyOfType(kit.command(bob, { type: 'rooms' }), 'rooms.list');
      expect(list.rooms.map((room) => room.name)).not.toContain('ops');
      expect(replyOfType(kit.command(ana, { type: 'rooms' }), 'rooms.list').rooms.map((room) => room.name)).toContain('ops');
    });

    it('reach members through their own queues, never the exchange, and carry no routing key', () => {
      const invite = kit.command(ana, { type: 'invite', room: 'ops', user: 'bob' });
      expect(invite.events).toEqual([]);
      expect(queuesOf(invite, 'room.event').sort()).toEqual([ana.queue, bob.queue].sort());
      const info = replyOfType(kit.command(bob, { type: 'join_room', room: 'ops' }), 'room.ok').room;
      expect(info.kind).toBe('secret');
      expect(info.routingKey).toBeUndefined();
      const said = kit.say(bob, 'psst', { room: 'ops' });
      expect(said.events).toEqual([]);
      expect(queuesOf(said, 'message').sort()).toEqual([ana.queue, bob.queue].sort());
      expect(queuesOf(said, 'message')).not.toContain(cyd.queue);
    });

    it('refuse a chat line from a non-member', () => {
      expect(refusedWith(() => kit.say(cyd, 'let me in', { room: 'ops' }))).toBe(ERROR_CODES.UNKNOWN_ROOM);
    });
  });

  describe('invite, kick, promote', () => {
    beforeEach(() => {
      kit.command(ana, { type: 'create_room', room: 'dev', secret: false });
      kit.command(bob, { type: 'join_room', room: 'dev' });
    });

    it('are for admins only', () => {
      for (const type of ['invite', 'kick', 'promote'] as const) {
        expect(refusedWith(() => kit.command(bob, { type, room: 'dev', user: 'cyd' }))).toBe(ERROR_CODES.NOT_ADMIN);
      }
      expect(refusedWith(() => kit.command(ana, { type: 'kick', room: DEFAULT_ROOM, user: 'bob' }))).toBe(ERROR_CODES.NOT_ADMIN);
    });

    it('invite adds a member and tells the invitee directly, so its client binds the public room', () => {
      const outcome = kit.command(ana, { type: 'invite', room: 'dev', user: 'Cyd' });
      expect(kit.store.member('dev', 'cyd')?.role).toBe('member');
      expect(queuesOf(outcome, 'room.event')).toEqual([cyd.queue]);
      expect(routingKeysOf(outcome, 'room.event')).toEqual([kit.topology.roomRoutingKey('dev')]);
      expect(refusedWith(() => kit.command(ana, { type: 'invite', room: 'dev', user: 'cyd' }))).toBe(ERROR_CODES.ALREADY_MEMBER);
    });

    it('kick removes a member, tells them directly, and refuses kicking oneself or a non-member', () => {
      const outcome = kit.command(ana, { type: 'kick', room: 'dev', user: 'bob' });
      expect(kit.store.member('dev', 'bob')).toBeUndefined();
      expect(queuesOf(outcome, 'room.event')).toEqual([bob.queue]);
      expect(outcome.log).toEqual([expect.objectContaining({ kind: 'ROOM', event: 'kicked', name: 'Bob', by: 'Ana' })]);
      expect(refusedWith(() => kit.command(ana, { type: 'kick', room: 'dev', user: 'bob' }))).toBe(ERROR_CODES.NOT_A_MEMBER);
      expect(refusedWith(() => kit.command(ana, { type: 'kick', room: 'dev', user: 'ana' }))).toBe(ERROR_CODES.COMMAND_USAGE);
    });

    it('promote makes an admin once, who may then act as one', () => {
      kit.command(ana, { type: 'promote', room: 'dev', user: 'bob' });
      expect(kit.store.member('dev', 'bob')?.role).toBe('admin');
      expect(refusedWith(() => kit.command(ana, { type: 'promote', room: 'dev', user: 'bob' }))).toBe(ERROR_CODES.ALREADY_MEMBER);
      expect(refusedWith(() => kit.command(ana, { type: 'promote', room: 'dev', user: 'cyd' }))).toBe(ERROR_CODES.NOT_A_MEMBER);
      kit.command(bob, { type: 'invite', room: 'dev', user: 'cyd' });
      expect(kit.store.member('dev', 'cyd')?.role).toBe('member');
    });
  });

  describe('whois', () => {
    it('shows the rooms both users share, with roles, and whether the user is online', () => {
      kit.command(ana, { type: 'create_room', room: 'dev', secret: false });
      kit.command(ana, { type: 'create_room', room: 'ops', secret: true });
      kit.command(bob, { type: 'join_room', room: 'dev' });
      const info = replyOfType(kit.command(bob, { type: 'whois', user: 'ANA' }), 'whois.info', bob.queue);
      expect(info).toMatchObject({ name: 'Ana', online: true, since: kit.now().toISOString() });
      // ops is Ana's but secret and not Bob's: Bob must not learn of it.
      expect(info.rooms).toEqual([
        { name: DEFAULT_ROOM, role: 'member' },
        { name: 'dev', role: 'admin' },
      ]);
    });

    it('answers for someone offline without a since, and refuses an invalid name', () => {
      const info = replyOfType(kit.command(bob, { type: 'whois', user: 'nobody' }), 'whois.info');
      expect(info).toMatchObject({ name: 'nobody', online: false, rooms: [] });
      expect(info.since).toBeUndefined();
      expect(refusedWith(() => kit.command(bob, { type: 'whois', user: 'no spaces here' }))).toBe(ERROR_CODES.NAME_INVALID);
    });
  });
});
