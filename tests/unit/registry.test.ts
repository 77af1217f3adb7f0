import { jest } from '@jest/globals';
import { ERROR_CODES, FIRST_PROTOCOL_VERSION, PROTOCOL_VERSION, WarrenError, type ErrorCode } from '../../shared/index.js';
import { Registry } from '../../server/state/registry.js';
import type { SqlStore } from '../../server/store/sql-store.js';
import { STORE_ENGINES, type StorePlace } from '../support/store-engines.js';

const TIMEOUT_MS = 15_000;
const T0 = new Date('2024-05-01T12:00:00.000Z');
const at = (ms: number): Date => new Date(T0.getTime() + ms);
const queue = (clientId: string): string => `ns.client.${clientId}`;

let place: StorePlace;
let store: SqlStore;
let registry: Registry;

function failure(run: () => unknown): { code: ErrorCode; message: string } {
  try {
    run();
  } catch (err) {
    if (err instanceof WarrenError) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected a WarrenError');
}

describe.each(STORE_ENGINES)('on $name', (engine) => {
  beforeEach(() => {
    place = engine.place();
    store = place.open();
    registry = new Registry(store, TIMEOUT_MS, T0.getTime());
  });
  afterEach(() => {
    store.close();
    place.remove();
  });

  describe('Registry: login', () => {
    it('gives a new name a session with a secret token', () => {
      const { session, resumed } = registry.login('Alice', 'c1', queue('c1'), T0);
      expect(resumed).toBe(false);
      expect(session).toMatchObject({ name: 'Alice', nameKey: 'alice', clientId: 'c1', replyQueue: queue('c1'), since: T0.toISOString() });
      expect(session.token.length).toBeGreaterThanOrEqual(16);
      expect(registry.authenticate(session.token)).toEqual(session);
      expect(registry.size).toBe(1);
    });

    it('gives every session its own token and id', () => {
      const a = registry.login('alice', 'c1', queue('c1'), T0).session;
      const b = registry.login('bob', 'c2', queue('c2'), T0).session;
      expect(a.token).not.toBe(b.token);
      expect(a.sessionId).not.toBe(b.sessionId);
    });

    it.each(['alice', 'Alice', 'ALICE', 'aLiCe'])('refuses %s to another client while alice is online, naming the holder', (name) => {
      registry.login('alice', 'c1', queue('c1'), T0);
      const refused = failure(() => registry.login(name, 'c2', queue('c2'), T0));
      expect(refused.code).toBe(ERROR_CODES.NAME_TAKEN);
      expect(refused.message).toContain('"alice"');
      expect(registry.size).toBe(1);
    });

    it('treats a differently composed spelling of the same letters as the same name', () => {
      registry.login('José', 'c1', queue('c1'), T0);
      expect(failure(() => registry.login('Jose\u0301', 'c2', queue('c2'), T0)).code).toBe(ERROR_CODES.NAME_TAKEN);
    });

    it.each([
      ['empty', ''],
      ['with a space', 'john smith'],
      ['too long', 'x'.repeat(33)],
      ['reserved', 'admin'],
    ])('refuses a name that is %s with NAME_INVALID and the reason', (_what, name) => {
      const refused = failure(() => registry.login(name, 'c1', queue('c1'), T0));
      expect(refused.code).toBe(ERROR_CODES.NAME_INVALID);
      expect(refused.message).toMatch(/invalid name: .+/);
      expect(registry.size).toBe(0);
    });

    it.each([
      ['a control character', 'bob\u001b[2J', ERROR_CODES.NAME_CONTROL_CHAR],
      ['a text-direction control', 'bob\u202Eevil', ERROR_CODES.NAME_BIDI_CONTROL],
      ['an invisible character', 'bo\u200Bb', ERROR_CODES.NAME_INVISIBLE_CHAR],
      ['two alphabets (a Cyrillic а in Latin)', '\u0430lice', ERROR_CODES.NAME_MIXED_SCRIPT],
    ])('refuses a name with %s with its own code', (_what, name, code) => {
      expect(failure(() => registry.login(name, 'c1', queue('c1'), T0)).code).toBe(code);
      expect(registry.size).toBe(0);
    });

    it.each([
      ['in capitals', 'ALICE'],
      ['in Cyrillic letters that look Latin', '\u0430\u04C0\u0456\u0441\u0435'],
      ['with 1 for l', 'a1ice'],
      ['with capital I for l', 'AIice'],
    ])('refuses a look-alike of a name online (%s) with NAME_TAKEN, and frees it when the holder leaves', (_what, name) => {
      const alice = registry.login('alice', 'c1', queue('c1'), T0).session;
      expect(failure(() => registry.login(name, 'c2', queue('c2'), T0)).code).toBe(ERROR_CODES.NAME_TAKEN);
      registry.remove(alice);
      expect(registry.login(name, 'c2', queue('c2'), T0).session.name).toBe(name);
    });

    it('resumes the session when the same client logs in again with the same name (a retried login)', () => {
      const first = registry.login('alice', 'c1', queue('c1'), T0).session;
      const again = registry.login('alice', 'c1', queue('c1'), at(5000));
      expect(again.resumed).toBe(true);
      expect(again.session.sessionId).toBe(first.sessionId);
      expect(again.session.token).toBe(first.token);
      expect(again.session.lastSeenMs).toBe(at(5000).getTime());
      expect(registry.size).toBe(1);
    });

    it('does not let a client take over a name held by another client, however it spells it', () => {
      registry.login('alice', 'c1', queue('c1'), T0);
      expect(failure(() => registry.login('alice', 'c2', queue('c1'), T0)).code).toBe(ERROR_CODES.NAME_TAKEN);
    });
  });

  describe('Registry: sessions', () => {
    it('refuses an unknown token with SESSION_UNKNOWN', () => {
      registry.login('alice', 'c1', queue('c1'), T0);
      expect(failure(() => registry.authenticate('not-a-token-at-all')).code).toBe(ERROR_CODES.SESSION_UNKNOWN);
    });

    it('lists who is online, sorted by name, with the time each took the name', () => {
      registry.login('carol', 'c3', queue('c3'), at(2000));
      registry.login('alice', 'c1', queue('c1'), T0);
      registry.login('Bob', 'c2', queue('c2'), at(1000));
      expect(registry.online()).toEqual([
        { name: 'alice', since: T0.toISOString() },
        { name: 'Bob', since: at(1000).toISOString() },
        { name: 'carol', since: at(2000).toISOString() },
      ]);
    });

    it('frees the name at once on remove, and forgets the token', () => {
      const alice = registry.login('alice', 'c1', queue('c1'), T0).session;
      registry.remove(alice);
      expect(failure(() => registry.authenticate(alice.token)).code).toBe(ERROR_CODES.SESSION_UNKNOWN);
      expect(registry.size).toBe(0);
      expect(registry.login('ALICE', 'c2', queue('c2'), T0).resumed).toBe(false);
    });

    it('ignores removing a session twice, and never removes the next holder of the name', () => {
      const old = registry.login('alice', 'c1', queue('c1'), T0).session;
      registry.remove(old);
      const next = registry.login('alice', 'c2', queue('c2'), at(1)).session;
      registry.remove(old);
      expect(registry.authenticate(next.token)).toEqual(next);
      expect(store.sessionTable.all().map((s) => s.sessionId)).toEqual([next.sessionId]);
    });
  });

  describe('Registry: timeout', () => {
    it('expires a session silent for longer than the timeout, not one silent for exactly the timeout', () => {
      const alice = registry.login('alice', 'c1', queue('c1'), T0).session;
      expect(registry.expired(at(TIMEOUT_MS))).toEqual([]);
      expect(registry.expired(at(TIMEOUT_MS + 1))).toEqual([alice]);
    });

    it('counts the timeout from the last sign of life', () => {
      const alice = registry.login('alice', 'c1', queue('c1'), T0).session;
      const bob = registry.login('bob', 'c2', queue('c2'), T0).session;
      registry.touch(alice, at(10_000));
      expect(registry.expired(at(TIMEOUT_MS + 1))).toEqual([bob]);
      expect(registry.expired(at(10_000 + TIMEOUT_MS + 1))).toEqual([alice, bob]);
    });

    it('frees the name of an expired session once it is removed', () => {
      const alice = registry.login('alice', 'c1', queue('c1'), T0).session;
      for (const session of registry.expired(at(TIMEOUT_MS + 1))) registry.remove(session);
      expect(registry.find('alice')).toBeUndefined();
      expect(registry.login('alice', 'c2', queue('c2'), at(TIMEOUT_MS + 2)).session.token).not.toBe(alice.token);
    });
  });

  describe('Registry: persistence', () => {
    it('writes sessions through to the store and gets them back after a restart, with a fresh timeout', () => {
      const alice = registry.login('alice', 'c1', queue('c1'), T0).session;
      const bob = registry.login('bob', 'c2', queue('c2'), T0).session;
      registry.remove(bob);
      const restartedAt = at(60_000);
      const restarted = new Registry(store, TIMEOUT_MS, restartedAt.getTime());
      expect(restarted.authenticate(alice.token)).toMatchObject({ name: 'alice', clientId: 'c1', lastSeenMs: restartedAt.getTime() });
      expect(failure(() => restarted.authenticate(bob.token)).code).toBe(ERROR_CODES.SESSION_UNKNOWN);
      expect(restarted.expired(new Date(restartedAt.getTime() + TIMEOUT_MS))).toEqual([]);
      expect(failure(() => restarted.login('Alice', 'c9', queue('c9'), restartedAt)).code).toBe(ERROR_CODES.NAME_TAKEN);
      expect(restarted.login('alice', 'c1', queue('c1'), restartedAt).resumed).toBe(true);
    });
  });

  describe('Registry: several coordinators on one store', () => {
    it('sees a session another coordinator logged in, and refuses its name to everyone else', () => {
      const other = new Registry(store, TIMEOUT_MS, T0.getTime());
      const alice = other.login('alice', 'c1', queue('c1'), T0).session;
      expect(registry.authenticate(alice.token)).toMatchObject({ sessionId: alice.sessionId });
      expect(failure(() => registry.login('ALICE', 'c2', queue('c2'), T0)).code).toBe(ERROR_CODES.NAME_TAKEN);
      expect(registry.login('alice', 'c1', queue('c1'), at(1)).resumed).toBe(true);
      expect(registry.online().map((user) => user.name)).toEqual(['alice']);
    });

    it('ends a session once: the second coordinator to end it is told it was gone', () => {
      const other = new Registry(store, TIMEOUT_MS, T0.getTime());
      const alice = registry.login('alice', 'c1', queue('c1'), T0).session;
      expect(other.remove(alice)).toBe(true);
      expect(registry.remove(alice)).toBe(false);
      expect(registry.withToken(alice.token)).toBeUndefined();
    });

    it('remembers token look-ups for one turn only, and a removal within the turn at once', () => {
      const other = new Registry(store, TIMEOUT_MS, T0.getTime());
      const alice = registry.login('alice', 'c1', queue('c1'), T0).session;
      registry.duringTurn(() => {
        expect(registry.withToken(alice.token)).toBeDefined();
        other.remove(alice);
        // Within the turn the look-up is remembered; the store said so a moment ago.
        expect(registry.withToken(alice.token)).toBeDefined();
        registry.remove(alice);
        expect(registry.withToken(alice.token)).toBeUndefined();
      });
      const bob = registry.login('bob', 'c2', queue('c2'), T0).session;
      registry.duringTurn(() => expect(registry.withToken(bob.token)).toBeDefined());
      other.remove(bob);
      expect(registry.withToken(bob.token)).toBeUndefined();
    });
  });
  describe('Registry: who takes batched deliveries', () => {
    it('counts the older clients in the store once per turn, and at every ask outside a turn', () => {
      registry.login('alice', 'c1', queue('c1'), T0, PROTOCOL_VERSION);
      const older = jest.spyOn(store.sessionTable, 'olderThan');
      registry.duringTurn(() => {
        for (let i = 0; i < 3; i += 1) expect(registry.takesBatches()).toBe(true);
      });
      expect(older).toHaveBeenCalledTimes(1);
      registry.duringTurn(() => expect(registry.takesBatches()).toBe(true));
      expect(older).toHaveBeenCalledTimes(2);
      expect(registry.takesBatches()).toBe(true);
      expect(registry.takesBatches()).toBe(true);
      expect(older).toHaveBeenCalledTimes(4);
    });

    it('sees an older client that logs in, or out, within the turn at once', () => {
      registry.login('alice', 'c1', queue('c1'), T0, PROTOCOL_VERSION);
      registry.duringTurn(() => {
        expect(registry.takesBatches()).toBe(true);
        const old = registry.login('oldtimer', 'c2', queue('c2'), T0, FIRST_PROTOCOL_VERSION).session;
        expect(registry.takesBatches()).toBe(false);
        // Resumed, not new: still there, still older.
        registry.login('oldtimer', 'c2', queue('c2'), T0, FIRST_PROTOCOL_VERSION);
        expect(registry.takesBatches()).toBe(false);
        registry.remove(old);
        expect(registry.takesBatches()).toBe(true);
      });
    });

    it('names the holder of a token for the rate limiter from memory after the first look-up, across turns, and never remembers an unknown token', () => {
      const alice = registry.login('alice', 'c1', queue('c1'), T0, PROTOCOL_VERSION).session;
      const find = jest.spyOn(store.sessionTable, 'find');
      expect(registry.nameKeyOfToken('no-such-token')).toBeUndefined();
      expect(registry.nameKeyOfToken('no-such-token')).toBeUndefined();
      expect(find).toHaveBeenCalledTimes(2);
      for (let i = 0; i < 3; i += 1) expect(registry.nameKeyOfToken(alice.token)).toBe(alice.nameKey);
      registry.duringTurn(() => expect(registry.nameKeyOfToken(alice.token)).toBe(alice.nameKey));
      expect(find).toHaveBeenCalledTimes(3);
      // Ended since: still named (its input counts against that name, and the handler refuses the token).
      registry.remove(alice);
      expect(registry.nameKeyOfToken(alice.token)).toBe(alice.nameKey);
      expect(() => registry.authenticate(alice.token)).toThrow(WarrenError);
    });

    it("answers a reply queue's question from the turn's token look-ups, asks the store at most once a queue, and forgets a logout", () => {
      const alice = registry.login('alice', 'c1', queue('c1'), T0, PROTOCOL_VERSION).session;
      const old = registry.login('oldtimer', 'c2', queue('c2'), T0, FIRST_PROTOCOL_VERSION).session;
      const find = jest.spyOn(store.sessionTable, 'find');
      registry.duringTurn(() => {
        registry.authenticate(alice.token);
        expect(find).toHaveBeenCalledTimes(1);
        for (let i = 0; i < 3; i += 1) expect(registry.takesBatches(queue('c1'))).toBe(true);
        expect(find).toHaveBeenCalledTimes(1);
        for (let i = 0; i < 3; i += 1) expect(registry.takesBatches(queue('c2'))).toBe(false);
        expect(registry.takesBatches(queue('nobody'))).toBe(false);
        expect(registry.takesBatches(queue('nobody'))).toBe(false);
        expect(find).toHaveBeenCalledTimes(3);
        registry.remove(alice);
        expect(registry.takesBatches(queue('c1'))).toBe(false);
        // A new holder of a queue asked about before in the turn is seen at once.
        registry.login('newcomer', 'c9', queue('nobody'), T0, PROTOCOL_VERSION);
        expect(registry.takesBatches(queue('nobody'))).toBe(true);
      });
      // Outside a turn, every ask goes to the store (another coordinator may have changed it).
      find.mockClear();
      expect(registry.takesBatches(queue('c2'))).toBe(false);
      expect(registry.takesBatches(queue('c2'))).toBe(false);
      expect(find).toHaveBeenCalledTimes(2);
      expect(old.protocol).toBe(FIRST_PROTOCOL_VERSION);
    });
  });
});
