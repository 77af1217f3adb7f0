import { handleCommand } from '../../server/handlers/command-handler.js';
import { departure } from '../../server/handlers/departure.js';
import { DEFAULT_ROOM, ERROR_CODES, PRESENCE_ROUTING_KEY } from '../../shared/index.js';
import { handlerKit, refusedWith, replyOfType, routingKeysOf, type HandlerKit } from '../support/handler-kit.js';
import { STORE_ENGINES } from '../support/store-engines.js';

describe.each(STORE_ENGINES)('login, logout and the activation threshold (real store on $name, no broker)', (engine) => {
  let kit: HandlerKit;
  afterEach(() => kit.close());

  describe('sessions', () => {
    beforeEach(() => {
      kit = handlerKit({ engine });
    });

    it('login answers on the client’s own queue with a token and announces the newcomer on the presence key', () => {
      const { user, outcome } = kit.login('Ana');
      const ok = replyOfType(outcome, 'login.ok', user.queue);
      expect(ok).toMatchObject({ name: 'Ana', room: DEFAULT_ROOM, active: true, minUsers: 1, heartbeatIntervalMs: 5000, sessionTimeoutMs: 15_000 });
      expect(ok.token.length).toBeGreaterThan(20);
      expect(routingKeysOf(outcome, 'presence')).toEqual([PRESENCE_ROUTING_KEY]);
      expect(outcome.log).toEqual([expect.objectContaining({ kind: 'JOIN', name: 'Ana', serverTs: kit.now().toISOString() })]);
    });

    it('names are unique ignoring case; a repeated login of the same client gets its session back', () => {
      const first = kit.login('Ana');
      expect(refusedWith(() => handleCommand({ type: 'login', requestId: 'r1', name: 'ANA', clientId: 'other' }, kit.context(kit.topology.clientQueue('other'))))).toBe(
        ERROR_CODES.NAME_TAKEN,
      );
      const again = kit.login('Ana');
      expect(again.user.token).toBe(first.user.token);
      expect(again.outcome.events).toEqual([]);
    });

    it('login refuses a reply queue that is not the client’s own', () => {
      const request = { type: 'login' as const, requestId: 'r1', name: 'Ana', clientId: 'mine' };
      expect(refusedWith(() => handleCommand(request, kit.context(undefined)))).toBe(ERROR_CODES.INVALID_MESSAGE);
      expect(refusedWith(() => handleCommand(request, kit.context(kit.topology.clientQueue('someone-else'))))).toBe(ERROR_CODES.INVALID_MESSAGE);
    });

    it('logout frees the name and says so; the token is dead afterwards', () => {
      const { user } = kit.login('Ana');
      const outcome = kit.command(user, { type: 'logout' });
      expect(replyOfType(outcome, 'logout.ok', user.queue)).toBeDefined();
      expect(outcome.events.map((event) => event.body)).toEqual([expect.objectContaining({ type: 'presence', event: 'left', name: 'Ana', reason: 'exit', online: 0 })]);
      expect(refusedWith(() => kit.command(user, { type: 'users' }))).toBe(ERROR_CODES.SESSION_UNKNOWN);
      expect(kit.login('ana').user.name).toBe('ana');
    });

    it('a heartbeat keeps a session from the timeout; departure by timeout says why', () => {
      const { user } = kit.login('Ana');
      kit.advance(10_000);
      kit.command(user, { type: 'heartbeat' });
      kit.advance(10_000);
      expect(kit.registry.expired(kit.now())).toEqual([]);
      kit.advance(6_000);
      const [expired] = kit.registry.expired(kit.now());
      expect(expired?.name).toBe('Ana');
      const outcome = departure(expired!, 'timeout', kit.context());
      expect(outcome.log).toEqual([expect.objectContaining({ kind: 'LEAVE', name: 'Ana', reason: 'timeout' })]);
      expect(kit.registry.size).toBe(0);
    });
  });

  describe('activation threshold', () => {
    beforeEach(() => {
      kit = handlerKit({ engine, minUsers: 2 });
    });

    it('holds chat until enough users were online at once, then announces it and stays active', () => {
      const ana = kit.login('Ana');
      expect(replyOfType(ana.outcome, 'login.ok')).toMatchObject({ active: false, minUsers: 2, lastSeq: 0, history: [] });
      const held = kit.say(ana.user, 'anyone?');
      expect(held.events).toEqual([]);
      expect(replyOfType(held, 'chat.held', ana.user.queue)).toMatchObject({ room: DEFAULT_ROOM, seq: 1 });
      expect(held.log).toEqual([expect.objectContaining({ kind: 'MESSAGE' })]);

      const bob = kit.login('Bob');
      // The login that reaches the threshold is answered as still waiting, then told of the activation.
      expect(replyOfType(bob.outcome, 'login.ok')).toMatchObject({ active: false });
      expect(replyOfType(bob.outcome, 'activated', bob.user.queue)).toMatchObject({ online: 2 });
      expect(routingKeysOf(bob.outcome, 'activated')).toEqual([PRESENCE_ROUTING_KEY]);
      expect(bob.outcome.log.map((entry) => entry.kind)).toEqual(['JOIN', 'ACTIVATED']);
      expect(kit.activation.active).toBe(true);

      // Once active, it stays so even when users leave, and the flag is in the store.
      kit.command(bob.user, { type: 'logout' });
      expect(routingKeysOf(kit.say(ana.user, 'still here'), 'message')).toEqual([kit.topology.roomRoutingKey(DEFAULT_ROOM)]);
      expect(kit.store.getFlag('active')).toBe('1');
    });

    it('history is empty until the threshold is reached', () => {
      const ana = kit.login('Ana');
      kit.say(ana.user, 'held');
      const before = replyOfType(kit.command(ana.user, { type: 'history', room: DEFAULT_ROOM }), 'history.list');
      expect(before).toMatchObject({ lastSeq: 0, messages: [] });
      kit.login('Bob');
      const after = replyOfType(kit.command(ana.user, { type: 'history', room: DEFAULT_ROOM }), 'history.list');
      expect(after.messages.map((event) => event.text)).toEqual(['held']);
    });
  });
});
