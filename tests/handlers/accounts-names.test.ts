import { DEFAULT_ROOM, ERROR_CODES, isWarrenError, type WarrenError } from '../../shared/index.js';
import { RateLimitedError } from '../../server/rate-limits/rate-limits.js';
import { handlerKit, refusedWith, replyOfType, type HandlerKit, type KitUser } from '../support/handler-kit.js';

/** The refusal a promise rejects with (a WarrenError); fails the test if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<WarrenError> {
  try {
    await promise;
  } catch (err) {
    if (isWarrenError(err)) return err;
    throw err;
  }
  throw new Error('expected a refusal, but it was accepted');
}

const PASSWORD = 'alice secret 1';

let kit: HandlerKit;
afterEach(() => kit.close());

describe('accounts (real store and scrypt, no broker)', () => {
  let alice: KitUser;
  beforeEach(() => {
    kit = handlerKit();
    alice = kit.login('alice').user;
  });

  it('refuses a password that is too short, too long or has a control character, and registers nothing', async () => {
    expect((await rejection(kit.register(alice, 'short'))).code).toBe(ERROR_CODES.PASSWORD_TOO_SHORT);
    expect((await rejection(kit.register(alice, 'x'.repeat(257)))).code).toBe(ERROR_CODES.PASSWORD_TOO_LONG);
    expect((await rejection(kit.register(alice, 'tab\tinside it'))).code).toBe(ERROR_CODES.PASSWORD_INVALID);
    expect(kit.accounts.exists('alice')).toBe(false);
  });

  it('refuses /register without a session, and a second /register of the same name', async () => {
    const ghost = { ...alice, token: 'x'.repeat(32) };
    expect((await rejection(kit.register(ghost, PASSWORD))).code).toBe(ERROR_CODES.SESSION_UNKNOWN);
    expect(replyOfType(await kit.register(alice, PASSWORD), 'register.ok')).toMatchObject({ name: 'alice' });
    expect((await rejection(kit.register(alice, 'another password'))).code).toBe(ERROR_CODES.ACCOUNT_EXISTS);
  });

  describe('a registered name', () => {
    beforeEach(async () => {
      await kit.register(alice, PASSWORD);
      kit.command(alice, { type: 'logout' });
    });

    it('cannot be used without its password, nor with a wrong one, nor through a look-alike', async () => {
      expect((await rejection(kit.loginWith('alice'))).code).toBe(ERROR_CODES.PASSWORD_REQUIRED);
      expect((await rejection(kit.loginWith('alice', 'not her password'))).code).toBe(ERROR_CODES.PASSWORD_WRONG);
      expect((await rejection(kit.loginWith('ALICE'))).code).toBe(ERROR_CODES.PASSWORD_REQUIRED);
      expect((await rejection(kit.loginWith('a1ice', 'not her password'))).code).toBe(ERROR_CODES.PASSWORD_WRONG);
      // The synchronous tier alone (no admission, so no verified password) never lets one in.
      expect(refusedWith(() => kit.login('alice'))).toBe(ERROR_CODES.PASSWORD_REQUIRED);
      expect(kit.registry.size).toBe(0);
    });

    it('logs in with its password, under the account spelling even when typed as a look-alike', async () => {
      const back = await kit.loginWith('ALICE', PASSWORD);
      expect(back.user.name).toBe('alice');
    });

    it('keeps its rooms, roles, private chats and /mymsgs across sessions', async () => {
      let me = (await kit.loginWith('alice', PASSWORD)).user;
      const bob = kit.login('bob').user;
      kit.command(me, { type: 'create_room', room: 'den', secret: true });
      kit.say(me, 'mine 1');
      kit.say(bob, 'hello alice', { to: 'alice' });
      kit.command(me, { type: 'logout' });
      kit.say(bob, 'while you were away', { to: 'alice' });

      const back = await kit.loginWith('alice', PASSWORD);
      me = back.user;
      const ok = replyOfType(back.outcome, 'login.ok');
      expect(ok.rooms.map((room) => [room.name, room.role])).toEqual(expect.arrayContaining([['den', 'admin']]));
      expect(ok.privateBacklog.map((event) => event.text)).toEqual(['while you were away']);
      const dm = replyOfType(kit.command(me, { type: 'history', room: 'dm:alice:bob' }), 'history.list');
      expect(dm.messages.map((event) => event.text)).toEqual(['hello alice', 'while you were away']);
      expect(replyOfType(kit.command(me, { type: 'mymsgs' }), 'mymsgs.list').messages.map((event) => event.text)).toEqual(['mine 1']);
    });
  });

  it('bounds password guessing per name and client: past the limit RATE_LIMITED for that client only; the owner on another client gets in', async () => {
    kit.close();
    kit = handlerKit({ rateRules: { message: null, roomCreate: null, loginByName: { points: 3, durationMs: 60_000 }, loginByClient: null } });
    const first = kit.login('carol').user;
    await kit.register(first, 'carol password');
    kit.command(first, { type: 'logout' });
    for (let i = 0; i < 3; i += 1) {
      expect((await rejection(kit.loginWith('carol', `guess ${i}`, 'guesser'))).code).toBe(ERROR_CODES.PASSWORD_WRONG);
    }
    // A look-alike counts against the same name; past the limit even the right password is refused to that client.
    const limited = await rejection(kit.loginWith('CAROL', 'carol password', 'guesser'));
    expect(limited.code).toBe(ERROR_CODES.RATE_LIMITED);
    expect(limited).toBeInstanceOf(RateLimitedError);
    expect((limited as RateLimitedError).retryAfterMs).toBeGreaterThan(0);
    expect(limited.message).toMatch(/try again in \d+ s/);
    // Other clients are not locked out by the guesser: a wrong guess is still just wrong, the owner gets in.
    expect((await rejection(kit.loginWith('carol', 'guess 9', 'other-guesser'))).code).toBe(ERROR_CODES.PASSWORD_WRONG);
    expect((await kit.loginWith('carol', 'carol password', 'carols-new-client')).user).toBeDefined();
  });

  it('bounds password checks of the whole coordinator per second, across clients', async () => {
    kit.close();
    kit = handlerKit({ rateRules: { message: null, roomCreate: null, loginByName: null, loginByClient: null, passwordChecks: { points: 2, durationMs: 60_000 } } });
    const first = kit.login('dora').user;
    await kit.register(first, 'dora password');
    kit.command(first, { type: 'logout' });
    expect((await rejection(kit.loginWith('dora', 'guess 1', 'swarm-1'))).code).toBe(ERROR_CODES.PASSWORD_WRONG);
    expect((await rejection(kit.loginWith('dora', 'guess 2', 'swarm-2'))).code).toBe(ERROR_CODES.PASSWORD_WRONG);
    expect((await rejection(kit.loginWith('dora', 'guess 3', 'swarm-3'))).code).toBe(ERROR_CODES.RATE_LIMITED);
  });

  it('limits messages and room creation per user', async () => {
    kit.close();
    kit = handlerKit({ rateRules: { message: { points: 2, durationMs: 10_000 }, roomCreate: { points: 1, durationMs: 60_000 }, loginByName: null, loginByClient: null } });
    const dan = kit.login('dan').user;
    const chat = (text: string) => ({ type: 'chat' as const, id: `m-${text}`, token: dan.token, from: 'dan', room: DEFAULT_ROOM, text, clientTs: kit.now().toISOString() });
    await kit.admitted(chat('one'));
    await kit.admitted(chat('two'));
    expect((await rejection(kit.admitted(chat('three')))).code).toBe(ERROR_CODES.RATE_LIMITED);
    const room = (name: string) => ({ type: 'create_room' as const, requestId: `r-${name}`, token: dan.token, room: name, secret: false });
    await kit.admitted(room('first'));
    expect((await rejection(kit.admitted(room('second')))).code).toBe(ERROR_CODES.RATE_LIMITED);
  });
});

describe('a guest name passes on nothing (real store, no broker)', () => {
  beforeEach(() => {
    kit = handlerKit();
  });

  it('whoever takes "alice" after she left gets no secret room, no admin, no private chat, no held message, no /mymsgs', () => {
    const alice = kit.login('alice').user;
    const bob = kit.login('bob').user;
    kit.command(alice, { type: 'create_room', room: 'den', secret: true });
    kit.command(alice, { type: 'create_room', room: 'lobby', secret: false });
    kit.command(bob, { type: 'join_room', room: 'lobby' });
    kit.say(alice, 'my line');
    kit.say(bob, 'hi alice', { to: 'alice' });
    const left = kit.command(alice, { type: 'logout' });
    // bob is told his private chat with the old alice moved, under its new name.
    const archived = left.replies.find((reply) => reply.queue === bob.queue && reply.body.type === 'room.event');
    expect(archived?.body).toMatchObject({ type: 'room.event', event: 'archived', room: 'dm:alice:bob', renamedTo: 'dm:alice~1:bob' });
    kit.say(bob, 'sent while she was away', { to: 'alice' });

    const next = kit.login('alice');
    const ok = replyOfType(next.outcome, 'login.ok');
    expect(ok.rooms.map((room) => room.name)).toEqual([DEFAULT_ROOM]);
    expect(ok.privateBacklog).toEqual([]);
    const thief = next.user;
    expect(refusedWith(() => kit.command(thief, { type: 'join_room', room: 'den' }))).toBe(ERROR_CODES.UNKNOWN_ROOM);
    expect(refusedWith(() => kit.command(thief, { type: 'history', room: 'dm:alice:bob' }))).toBe(ERROR_CODES.UNKNOWN_ROOM);
    expect(replyOfType(kit.command(thief, { type: 'mymsgs' }), 'mymsgs.list').messages).toEqual([]);
    // lobby went to bob (its first remaining member): the new alice is no admin of it.
    expect(refusedWith(() => kit.command(thief, { type: 'kick', room: 'lobby', user: 'bob' }))).toBe(ERROR_CODES.NOT_A_MEMBER);
    expect(kit.store.member('lobby', 'bob')?.role).toBe('admin');
    // bob still has the old conversation under its archived name.
    const kept = replyOfType(kit.command(bob, { type: 'history', room: 'dm:alice~1:bob' }), 'history.list');
    expect(kept.messages.map((event) => event.text)).toEqual(['hi alice']);
  });

  it('is forgotten when its session times out too', () => {
    const alice = kit.login('alice').user;
    kit.command(alice, { type: 'create_room', room: 'den', secret: true });
    kit.advance(16_000);
    const [expired] = kit.registry.expired(kit.now());
    expect(expired?.name).toBe('alice');
    // The sweep hands the session to departure(); the kit's context carries what it needs.
    return import('../../server/handlers/departure.js').then(({ departure }) => {
      departure(expired!, 'timeout', kit.context());
      expect(kit.store.room('den')).toBeUndefined();
    });
  });
});

describe('a secret room is never confirmed to a non-member (real store, no broker)', () => {
  beforeEach(() => {
    kit = handlerKit();
  });

  it('answers /join, a chat line, /invite and /history as for a room that does not exist', () => {
    const ana = kit.login('ana').user;
    const eve = kit.login('eve').user;
    kit.command(ana, { type: 'create_room', room: 'plans', secret: true });
    const answer = (room: string, run: (room: string) => unknown): { code: string; message: string } => {
      try {
        run(room);
      } catch (err) {
        if (isWarrenError(err)) return { code: err.code, message: err.message.replace(room, 'ROOM') };
        throw err;
      }
      throw new Error('accepted');
    };
    const attempts: ((room: string) => unknown)[] = [
      (room) => kit.command(eve, { type: 'join_room', room }),
      (room) => kit.say(eve, 'hello?', { room }),
      (room) => kit.command(eve, { type: 'invite', room, user: 'eve' }),
      (room) => kit.command(eve, { type: 'history', room }),
      (room) => kit.command(eve, { type: 'room_ttl', room, ttlMs: null }),
    ];
    for (const attempt of attempts) {
      expect(answer('plans', attempt)).toEqual(answer('nosuch', attempt));
      expect(answer('plans', attempt).code).toBe(ERROR_CODES.UNKNOWN_ROOM);
    }
    // /whois lists only the rooms both share.
    expect(replyOfType(kit.command(eve, { type: 'whois', user: 'ana' }), 'whois.info').rooms.map((room) => room.name)).toEqual([DEFAULT_ROOM]);
  });
});
