import { DEFAULT_ROOM, ERROR_CODES, directRoomName, type ChatEvent } from '../../shared/index.js';
import { handlerKit, queuesOf, refusedWith, replyOfType, routingKeysOf, type HandlerKit, type KitUser } from '../support/handler-kit.js';
import { STORE_ENGINES } from '../support/store-engines.js';

function sent(outcome: { events: { body: unknown }[]; replies: { body: unknown }[] }): ChatEvent {
  const body = [...outcome.events, ...outcome.replies].map((entry) => entry.body).find((b) => (b as { type?: string }).type === 'message');
  if (!body) throw new Error('no message in the outcome');
  return body as ChatEvent;
}

describe.each(STORE_ENGINES)('chat, edit, delete and ttl handlers (real store on $name, no broker)', (engine) => {
  let kit: HandlerKit;
  let ana: KitUser;
  let bob: KitUser;

  beforeEach(() => {
    kit = handlerKit({ engine });
    ana = kit.login('Ana').user;
    bob = kit.login('Bob').user;
  });
  afterEach(() => kit.close());

  describe('a chat line', () => {
    it('is stored with the next sequence number, logged once with the fixed clock, and fanned out on the room key', () => {
      const first = kit.say(ana, 'hello');
      const second = kit.say(bob, 'hi');
      expect(sent(first)).toMatchObject({ room: DEFAULT_ROOM, seq: 1, from: 'Ana', text: 'hello', serverTs: kit.now().toISOString() });
      expect(sent(second).seq).toBe(2);
      expect(routingKeysOf(first, 'message')).toEqual([kit.topology.roomRoutingKey(DEFAULT_ROOM)]);
      expect(first.log).toEqual([expect.objectContaining({ kind: 'MESSAGE' })]);
    });

    it('is recognised when redelivered: fanned out again with the same seq, never stored or logged twice', () => {
      const once = kit.say(ana, 'hello', { id: 'same-id' });
      once.afterLog?.();
      const again = kit.say(ana, 'hello', { id: 'same-id' });
      expect(sent(again).seq).toBe(sent(once).seq);
      expect(again.log).toEqual([]);
      expect(kit.store.lastSeq(DEFAULT_ROOM)).toBe(1);
    });

    it('is refused when it claims another sender', () => {
      expect(refusedWith(() => kit.say(ana, 'I am Bob', { from: 'Bob' }))).toBe(ERROR_CODES.FORGED_SENDER);
      expect(kit.store.lastSeq(DEFAULT_ROOM)).toBe(0);
    });
  });

  describe('/edit and /delete', () => {
    let num: number;
    beforeEach(() => {
      kit.command(ana, { type: 'create_room', room: 'dev', secret: false });
      kit.command(bob, { type: 'join_room', room: 'dev' });
      num = sent(kit.say(bob, 'typo', { room: 'dev' })).num;
    });

    it('edit: own messages only, with the new text sent to the room and logged', () => {
      expect(refusedWith(() => kit.command(ana, { type: 'edit', num, text: 'not mine' }))).toBe(ERROR_CODES.NOT_YOUR_MESSAGE);
      kit.advance(1000);
      const outcome = kit.command(bob, { type: 'edit', num, text: 'fixed' });
      expect(routingKeysOf(outcome, 'message.updated')).toEqual([kit.topology.roomRoutingKey('dev')]);
      expect(outcome.log).toEqual([expect.objectContaining({ kind: 'EDIT', num, by: 'Bob', text: 'fixed' })]);
      expect(kit.store.message(num)).toMatchObject({ text: 'fixed', editedAt: kit.now().toISOString() });
      expect(refusedWith(() => kit.command(bob, { type: 'edit', num, text: '   ' }))).toBe(ERROR_CODES.TEXT_EMPTY);
    });

    it('delete: the sender may, an admin of the room may, anyone else may not', () => {
      const cyd = kit.login('Cyd').user;
      kit.command(cyd, { type: 'join_room', room: 'dev' });
      expect(refusedWith(() => kit.command(cyd, { type: 'delete', num }))).toBe(ERROR_CODES.NOT_YOUR_MESSAGE);
      const outcome = kit.command(ana, { type: 'delete', num });
      expect(outcome.events.map((event) => event.body)).toEqual([expect.objectContaining({ type: 'message.removed', num, reason: 'deleted', by: 'Ana' })]);
      expect(kit.store.message(num)).toBeUndefined();
      const own = sent(kit.say(cyd, 'mine', { room: 'dev' })).num;
      kit.command(cyd, { type: 'delete', num: own });
      expect(kit.store.message(own)).toBeUndefined();
    });

    it('a message of a room one is not in is unknown, so its number reveals nothing', () => {
      const cyd = kit.login('Cyd').user;
      expect(refusedWith(() => kit.command(cyd, { type: 'delete', num }))).toBe(ERROR_CODES.UNKNOWN_MESSAGE);
      expect(refusedWith(() => kit.command(cyd, { type: 'edit', num, text: 'x' }))).toBe(ERROR_CODES.UNKNOWN_MESSAGE);
      expect(refusedWith(() => kit.command(cyd, { type: 'delete', num: 9999 }))).toBe(ERROR_CODES.UNKNOWN_MESSAGE);
    });
  });

  describe('time-to-live', () => {
    beforeEach(() => {
      kit.command(ana, { type: 'create_room', room: 'dev', secret: false });
      kit.command(bob, { type: 'join_room', room: 'dev' });
    });

    it('is set by an admin only, and then applies to new messages of the room', () => {
      expect(refusedWith(() => kit.command(bob, { type: 'room_ttl', room: 'dev', ttlMs: 60_000 }))).toBe(ERROR_CODES.NOT_ADMIN);
      const set = kit.command(ana, { type: 'room_ttl', room: 'dev', ttlMs: 60_000 });
      expect(set.events.map((event) => event.body)).toEqual([expect.objectContaining({ type: 'room.event', event: 'ttl', ttlMs: 60_000 })]);
      const message = sent(kit.say(bob, 'soon gone', { room: 'dev' }));
      const expiresAt = new Date(kit.now().getTime() + 60_000).toISOString();
      expect(message.expiresAt).toBe(expiresAt);
      expect(kit.scheduled).toEqual([{ num: message.num, expiresAt }]);
      kit.command(ana, { type: 'room_ttl', room: 'dev', ttlMs: null });
      expect(sent(kit.say(bob, 'stays', { room: 'dev' })).expiresAt).toBeUndefined();
    });

    it('of one message overrides the room’s, and general has none to set', () => {
      const message = sent(kit.say(ana, 'brief', { ttlMs: 5_000 }));
      expect(message.expiresAt).toBe(new Date(kit.now().getTime() + 5_000).toISOString());
      expect(refusedWith(() => kit.command(ana, { type: 'room_ttl', room: DEFAULT_ROOM, ttlMs: 1000 }))).toBe(ERROR_CODES.NOT_ADMIN);
    });
  });

  describe('private messages', () => {
    it('go to both parties’ own queues only, in a dm room, and report delivery', () => {
      const outcome = kit.say(ana, 'just you', { to: 'bob' });
      expect(outcome.events).toEqual([]);
      expect(queuesOf(outcome, 'message').sort()).toEqual([ana.queue, bob.queue].sort());
      expect(sent(outcome).room).toBe(directRoomName('Ana', 'Bob'));
      expect(replyOfType(outcome, 'private.status', ana.queue)).toMatchObject({ to: 'Bob', delivered: true });
    });

    it('to a registered name offline are held, and handed over in login.ok when they come', async () => {
      const first = kit.login('Dee');
      await kit.register(first.user, 'dee password 1');
      kit.command(first.user, { type: 'logout' });
      const outcome = kit.say(ana, 'when you are back', { to: 'Dee' });
      expect(replyOfType(outcome, 'private.status', ana.queue)).toMatchObject({ to: 'Dee', delivered: false });
      const dee = await kit.loginWith('Dee', 'dee password 1');
      const ok = replyOfType(dee.outcome, 'login.ok', dee.user.queue);
      expect(ok.privateBacklog.map((event) => event.text)).toEqual(['when you are back']);
      // Handed over once only.
      kit.command(dee.user, { type: 'logout' });
      expect(replyOfType((await kit.loginWith('Dee', 'dee password 1')).outcome, 'login.ok').privateBacklog).toEqual([]);
    });

    it('to a guest name offline are not handed to whoever takes the name next', () => {
      kit.say(ana, 'when you are back', { to: 'Dee' });
      const dee = kit.login('Dee');
      expect(replyOfType(dee.outcome, 'login.ok', dee.user.queue).privateBacklog).toEqual([]);
      expect(refusedWith(() => kit.command(dee.user, { type: 'history', room: 'dm:ana:dee' }))).toBe(ERROR_CODES.UNKNOWN_ROOM);
    });
  });
});
