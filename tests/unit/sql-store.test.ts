import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lookalikeKeys } from '../../shared/index.js';
import { openSqliteStore } from '../../server/store/open-store.js';
import type { SqlStore } from '../../server/store/sql-store.js';
import type { NewMessage, SessionRecord } from '../../server/store/store.js';
import { STORE_ENGINES, type StorePlace } from '../support/store-engines.js';

let place: StorePlace;
let store: SqlStore;
let counter = 0;

function newMessage(overrides: Partial<NewMessage> = {}): NewMessage {
  counter += 1;
  return {
    id: `server-id-${counter}`,
    sessionId: 'session-a',
    clientMsgId: `client-msg-${counter}`,
    room: 'general',
    from: 'alice',
    text: `message ${counter}`,
    clientTs: '2024-05-01T12:00:00.000Z',
    serverTs: `2024-05-01T12:00:${String(counter % 60).padStart(2, '0')}.500Z`,
    ...overrides,
  };
}

function session(overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    sessionId: 'session-a',
    token: 'token-of-alice-0123456789',
    name: 'Alice',
    nameKey: 'alice',
    clientId: 'client-a',
    protocol: 2,
    replyQueue: 'ns.client.client-a',
    since: '2024-05-01T12:00:00.000Z',
    ...overrides,
  };
}

const reopen = (): SqlStore => {
  store.close();
  store = place.open();
  return store;
};

describe.each(STORE_ENGINES)('SqlStore on $name', (engine) => {
  beforeEach(() => {
    place = engine.place();
    store = place.open();
  });
  afterEach(() => {
    store.close();
    place.remove();
  });

  describe('messages', () => {
    it('assigns sequence numbers 1, 2, 3 ... per room', () => {
      store.createRoom({ name: 'lobby', kind: 'public', createdBy: 'alice', createdAt: '2024-05-01T12:00:00.000Z', ttlMs: null });
      expect(store.appendMessage(newMessage()).event.seq).toBe(1);
      expect(store.appendMessage(newMessage()).event.seq).toBe(2);
      expect(store.appendMessage(newMessage({ room: 'lobby' })).event.seq).toBe(1);
      expect(store.appendMessage(newMessage()).event.seq).toBe(3);
      expect(store.lastSeq('general')).toBe(3);
      expect(store.lastSeq('lobby')).toBe(1);
    });

    it('starts an empty room, and one it has never heard of, at 0', () => {
      expect(store.lastSeq('general')).toBe(0);
      expect(store.lastSeq('nowhere')).toBe(0);
      expect(store.history('nowhere', { limit: 10 })).toEqual([]);
    });

    it('returns the stored message as the event clients receive', () => {
      const input = newMessage({ text: 'hello' });
      const { event, duplicate, logged } = store.appendMessage(input);
      expect(duplicate).toBe(false);
      expect(logged).toBe(false);
      expect(event).toMatchObject({
        type: 'message',
        room: 'general',
        seq: 1,
        id: input.id,
        clientMsgId: input.clientMsgId,
        from: 'alice',
        text: 'hello',
        clientTs: input.clientTs,
        serverTs: input.serverTs,
      });
      expect(store.history('general', { limit: 10 })).toEqual([event]);
    });

    it('recognises a repeated (session, client message id) and returns the first message without storing another', () => {
      const first = store.appendMessage(newMessage({ clientMsgId: 'same' }));
      const again = store.appendMessage(newMessage({ clientMsgId: 'same', text: 'a redelivery' }));
      expect(again.duplicate).toBe(true);
      expect(again.event).toEqual(first.event);
      expect(store.lastSeq('general')).toBe(1);
      expect(store.history('general', { limit: 10 })).toHaveLength(1);
    });

    it('tells whether the repeated message was logged already', () => {
      const first = store.appendMessage(newMessage({ clientMsgId: 'same' }));
      expect(store.appendMessage(newMessage({ clientMsgId: 'same' })).logged).toBe(false);
      store.markLogged(first.event.num);
      expect(store.appendMessage(newMessage({ clientMsgId: 'same' })).logged).toBe(true);
    });

    it('keeps the same client message id of two different sessions apart', () => {
      store.appendMessage(newMessage({ sessionId: 'session-a', clientMsgId: 'm1' }));
      const other = store.appendMessage(newMessage({ sessionId: 'session-b', clientMsgId: 'm1', from: 'bob' }));
      expect(other.duplicate).toBe(false);
      expect(other.event.seq).toBe(2);
    });

    it('stores text exactly: Unicode, emoji, newlines, escape sequences (and NUL on SQLite)', () => {
      const nul = engine.name === 'sqlite' ? ' \u0000' : '';
      const text = `héllo 世界 👩‍👩‍👧\nline two\r\n\u001b[31mred\u001b[0m${nul} end \u202e\u2028`;
      const { event } = store.appendMessage(newMessage({ text }));
      expect(store.history('general', { limit: 1 })[0]?.text).toBe(text);
      expect(event.text).toBe(text);
    });

    // A known difference (docs/STORE.md): PostgreSQL's TEXT cannot hold NUL; the insert is refused
    // with SQLSTATE 22021, and the room's counter is not moved.
    if (engine.name === 'postgres') {
      it('refuses a text with NUL with SQLSTATE 22021, and moves no counter', () => {
        expect(() => store.appendMessage(newMessage({ text: 'a \u0000 b' }))).toThrow(expect.objectContaining({ code: '22021' }));
        expect(store.lastSeq('general')).toBe(0);
      });
    }

    it('lists unlogged messages in order until they are marked logged', () => {
      const a = store.appendMessage(newMessage()).event;
      const b = store.appendMessage(newMessage()).event;
      expect(store.unloggedMessages().map((event) => event.id)).toEqual([a.id, b.id]);
      store.markLogged(a.num);
      expect(store.unloggedMessages().map((event) => event.id)).toEqual([b.id]);
    });
    it('marks many messages logged at once (more than one statement holds), and only those', () => {
      const events = Array.from({ length: 150 }, () => store.appendMessage(newMessage()).event);
      for (const event of events.slice(0, 140)) store.markLogged(event.num);
      expect(store.unloggedMessages().map((event) => event.seq)).toEqual(events.slice(140).map((event) => event.seq));
      // Marks also ride along in the next batch.
      for (const event of events.slice(140, 145)) store.markLogged(event.num);
      store.batch(() => store.appendMessage(newMessage()));
      expect(store.unloggedMessages().map((event) => event.seq)).toEqual([...events.slice(145).map((event) => event.seq), 151]);
    });
  });

  describe('history', () => {
    beforeEach(() => {
      for (let index = 0; index < 10; index += 1) store.appendMessage(newMessage());
    });

    it('gives the latest messages, oldest first', () => {
      expect(store.history('general', { limit: 3 }).map((event) => event.seq)).toEqual([8, 9, 10]);
      expect(store.history('general', { limit: 100 }).map((event) => event.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    });

    it('gives the messages after a sequence number, up to the limit', () => {
      expect(store.history('general', { afterSeq: 4, limit: 3 }).map((event) => event.seq)).toEqual([5, 6, 7]);
      expect(store.history('general', { afterSeq: 0, limit: 2 }).map((event) => event.seq)).toEqual([1, 2]);
      expect(store.history('general', { afterSeq: 10, limit: 5 })).toEqual([]);
    });

    it('keeps rooms apart', () => {
      store.createRoom({ name: 'lobby', kind: 'public', createdBy: 'alice', createdAt: '2024-05-01T12:00:00.000Z', ttlMs: null });
      store.appendMessage(newMessage({ room: 'lobby', text: 'in the lobby' }));
      expect(store.history('lobby', { limit: 10 }).map((event) => event.text)).toEqual(['in the lobby']);
      expect(store.history('general', { limit: 100 }).every((event) => event.room === 'general')).toBe(true);
    });
  });

  describe('messages of a session', () => {
    it('are only that session’s, in the order sent, the latest when limited', () => {
      const mine = [1, 2, 3].map((n) => store.appendMessage(newMessage({ sessionId: 'session-a', text: `mine ${n}` })).event);
      store.appendMessage(newMessage({ sessionId: 'session-b', from: 'bob', text: 'theirs' }));
      expect(store.messagesOfSession('session-a', 100)).toEqual(mine);
      expect(store.messagesOfSession('session-a', 2).map((event) => event.text)).toEqual(['mine 2', 'mine 3']);
      expect(store.messagesOfSession('session-b', 100).map((event) => event.text)).toEqual(['theirs']);
      expect(store.messagesOfSession('session-c', 100)).toEqual([]);
    });
  });

  describe('sessions', () => {
    const claim = (overrides: Partial<SessionRecord> = {}, lastSeenMs = 1000) => {
      const record = session(overrides);
      const keys = lookalikeKeys(record.name);
      return { ...record, lastSeenMs, lookalikeKey: keys.key, typedKey: keys.typedKey };
    };
    const live = ({ lookalikeKey: _key, typedKey: _typed, ...rest }: ReturnType<typeof claim>) => rest;

    it('claims, finds, lists and removes sessions', () => {
      const alice = claim();
      const bob = claim({ sessionId: 'session-b', token: 'token-of-bob-0123456789', name: 'bob', nameKey: 'bob', since: '2024-05-01T12:01:00.000Z', replyQueue: 'ns.client.b' });
      expect(store.sessionTable.claim(alice)).toBe(true);
      expect(store.sessionTable.claim(bob)).toBe(true);
      expect(store.sessionTable.all()).toEqual([live(alice), live(bob)]);
      expect(store.sessionTable.find('token', bob.token)).toEqual(live(bob));
      expect(store.sessionTable.find('replyQueue', 'ns.client.b')).toEqual(live(bob));
      expect(store.sessionTable.count()).toBe(2);
      expect(store.sessionTable.olderThan(3)).toBe(2);
      expect(store.sessionTable.remove(alice.sessionId)).toBe(true);
      expect(store.sessionTable.remove(alice.sessionId)).toBe(false);
      expect(store.sessionTable.all()).toEqual([live(bob)]);
    });

    it('refuses a second claim of a name or a look-alike of it, whatever the session', () => {
      expect(store.sessionTable.claim(claim())).toBe(true);
      expect(store.sessionTable.claim(claim({ sessionId: 'session-x', token: 'another-token-0123456789' }))).toBe(false);
      expect(store.sessionTable.claim(claim({ sessionId: 'session-y', token: 'third-token-0123456789', name: 'ALICE', nameKey: 'alice-upper' }))).toBe(false);
      expect(store.sessionTable.all().map((s) => s.sessionId)).toEqual(['session-a']);
    });

    it('moves a last-seen time only forward (milliseconds since the epoch fit), and lists the sessions silent since a time', () => {
      const now = Date.parse('2026-12-02T10:00:00.000Z');
      store.sessionTable.claim(claim({}, now));
      store.sessionTable.touch('session-a', now - 1000);
      expect(store.sessionTable.silentSince(now)).toEqual([]);
      expect(store.sessionTable.silentSince(now + 1).map((s) => s.lastSeenMs)).toEqual([now]);
      store.sessionTable.touch('session-a', now + 9000);
      expect(store.sessionTable.silentSince(now + 1)).toEqual([]);
    });
  });

  describe('persistence', () => {
    it('keeps messages, sequence numbers and sessions across a restart', () => {
      const first = store.appendMessage(newMessage({ clientMsgId: 'm1' })).event;
      const keys = lookalikeKeys(session().name);
      store.sessionTable.claim({ ...session(), lastSeenMs: 1, lookalikeKey: keys.key, typedKey: keys.typedKey });
      reopen();
      expect(store.history('general', { limit: 10 })).toEqual([first]);
      expect(store.sessionTable.all()).toEqual([{ ...session(), lastSeenMs: 1 }]);
      expect(store.appendMessage(newMessage()).event.seq).toBe(2);
      expect(store.appendMessage(newMessage({ clientMsgId: 'm1' })).duplicate).toBe(true);
    });

    it('closes idempotently', () => {
      store.close();
      expect(() => store.close()).not.toThrow();
    });
  });

  /**
   * Numbers people and clients rely on: `num` (typed in /edit and /delete) must never point at a
   * different message later, and `seq` must never be handed out twice in a room, or clients would
   * take a new message for one they already showed.
   */
  describe('rooms read inside a batch', () => {
    const games = { name: 'games', kind: 'public' as const, createdBy: 'alice', createdAt: '2024-05-01T12:00:00.000Z', ttlMs: null };

    it("show the batch's own changes: a new room, a new TTL, the numbers given out", () => {
      const seen = store.batch(() => {
        const before = store.room('games');
        store.createRoom(games);
        const created = store.room('games');
        store.setRoomTtl('games', 60_000);
        store.appendMessage(newMessage({ room: 'games' }));
        return { before, created: created?.ttlMs, after: store.room('games') };
      });
      expect(seen.before).toBeUndefined();
      expect(seen.created).toBeNull();
      expect(seen.after).toMatchObject({ name: 'games', ttlMs: 60_000, lastSeq: 1 });
      expect(store.room('games')).toMatchObject({ ttlMs: 60_000, lastSeq: 1 });
    });

    it('forget a room created in a batch inside the batch when that one rolls back', () => {
      const seen = store.batch(() => {
        expect(() =>
          store.batch(() => {
            store.createRoom(games);
            expect(store.room('games')).toBeDefined();
            throw new Error('inner rolled back');
          }),
        ).toThrow('inner rolled back');
        return store.room('games');
      });
      expect(seen).toBeUndefined();
    });

    it('are copies: changing one read changes nothing for the next', () => {
      store.batch(() => {
        const first = store.room('general');
        if (first) first.ttlMs = 5;
        expect(store.room('general')?.ttlMs).toBeNull();
      });
    });
  });

  describe('numbers are never reused', () => {
    it('a redelivered message takes no seq: the next new one follows on, no gap', () => {
      const first = store.appendMessage(newMessage({ clientMsgId: 'same' })).event;
      const again = store.appendMessage(newMessage({ clientMsgId: 'same', text: 'redelivered' }));
      expect(again.duplicate).toBe(true);
      expect(again.event).toEqual(first);
      expect(store.appendMessage(newMessage()).event.seq).toBe(first.seq + 1);
      expect(store.lastSeq('general')).toBe(first.seq + 1);
    });

    it('inside a batch, a message whose insert fails gives its seq back: the next one takes it, no gap', () => {
      const seqs = store.batch(() => {
        const first = store.appendMessage(newMessage()).event.seq;
        // NOT NULL text: the INSERT fails after the room's counter moved.
        expect(() => store.appendMessage(newMessage({ text: null as unknown as string }))).toThrow(/NOT NULL|not-null/);
        const second = store.appendMessage(newMessage()).event.seq;
        return [first, second];
      });
      expect(seqs).toEqual([1, 2]);
      expect(store.lastSeq('general')).toBe(2);
      expect(store.history('general', { limit: 10 }).map((event) => event.seq)).toEqual([1, 2]);
    });

    it('in a batch, numbers each room on from its first message, past a repeat and a failed insert, and writes the counter before the commit', () => {
      store.createRoom({ name: 'games', kind: 'public', createdBy: 'alice', createdAt: '2024-05-01T12:00:00.000Z', ttlMs: null });
      store.appendMessage(newMessage({ clientMsgId: 'earlier' }));
      const seen = store.batch(() => {
        const seqs = [newMessage(), newMessage({ room: 'games' }), newMessage()].map((each) => store.appendMessage(each).event.seq);
        // A repeat and a failed insert of a room already numbered in this batch take no number.
        expect(store.appendMessage(newMessage({ clientMsgId: 'earlier' })).duplicate).toBe(true);
        expect(() => store.appendMessage(newMessage({ text: null as unknown as string }))).toThrow(/NOT NULL|not-null/);
        seqs.push(store.appendMessage(newMessage()).event.seq, store.appendMessage(newMessage({ room: 'games' })).event.seq);
        // Read inside the batch: the numbers given out so far, not the row's.
        return { seqs, general: store.lastSeq('general'), games: store.room('games')?.lastSeq };
      });
      expect(seen).toEqual({ seqs: [2, 1, 3, 4, 2], general: 4, games: 2 });
      expect(store.lastSeq('general')).toBe(4);
      expect(store.rooms().map((room) => [room.name, room.lastSeq])).toEqual([['games', 2], ['general', 4]]);
      expect(store.appendMessage(newMessage()).event.seq).toBe(5);
      expect(store.batch(() => store.appendMessage(newMessage()).event.seq)).toBe(6);
      reopen();
      expect(store.lastSeq('general')).toBe(6);
      expect(store.history('general', { limit: 10 }).map((event) => event.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    });

    it('a batch rolled back gives back every number it gave out', () => {
      store.appendMessage(newMessage());
      expect(() =>
        store.batch(() => {
          store.appendMessage(newMessage());
          store.appendMessage(newMessage());
          throw new Error('rolled back');
        }),
      ).toThrow('rolled back');
      expect(store.lastSeq('general')).toBe(1);
      expect(store.batch(() => store.appendMessage(newMessage()).event.seq)).toBe(2);
    });

    it('a batch inside a batch that rolls back gives back its numbers, and the outer one numbers on after its own', () => {
      const seqs = store.batch(() => {
        const first = store.appendMessage(newMessage()).event.seq;
        expect(() =>
          store.batch(() => {
            store.appendMessage(newMessage());
            throw new Error('inner rolled back');
          }),
        ).toThrow('inner rolled back');
        return [first, store.appendMessage(newMessage()).event.seq];
      });
      expect(seqs).toEqual([1, 2]);
      expect(store.lastSeq('general')).toBe(2);
      expect(store.history('general', { limit: 10 }).map((event) => event.seq)).toEqual([1, 2]);
    });

    it('gives a new message a num above that of the deleted latest one', () => {
      const nums = [1, 2, 3].map(() => store.appendMessage(newMessage()).event.num);
      const last = nums[2] ?? 0;
      store.removeMessage(last);
      expect(store.message(last)).toBeUndefined();
      expect(store.appendMessage(newMessage()).event.num).toBeGreaterThan(last);
    });

    it('keeps that promise across a restart', () => {
      const last = store.appendMessage(newMessage()).event.num;
      store.removeMessage(last);
      reopen();
      expect(store.appendMessage(newMessage()).event.num).toBeGreaterThan(last);
    });

    it('keeps a room counting on after its latest message is deleted', () => {
      [1, 2, 3].forEach(() => store.appendMessage(newMessage()));
      const third = store.history('general', { limit: 1 })[0];
      store.removeMessage(third?.num ?? 0);
      expect(store.lastSeq('general')).toBe(3);
      expect(store.appendMessage(newMessage()).event.seq).toBe(4);
      expect(store.history('general', { limit: 10 }).map((event) => event.seq)).toEqual([1, 2, 4]);
    });

    it('keeps nums unique across rooms while seq counts per room', () => {
      store.createRoom({ name: 'games', kind: 'public', createdBy: 'alice', createdAt: '2024-05-01T12:00:00.000Z', ttlMs: null });
      const events = [newMessage(), newMessage({ room: 'games' }), newMessage(), newMessage({ room: 'games' })].map((each) => store.appendMessage(each).event);
      expect(events.map((event) => [event.room, event.seq])).toEqual([['general', 1], ['games', 1], ['general', 2], ['games', 2]]);
      expect(new Set(events.map((event) => event.num)).size).toBe(4);
    });

    it('still recognises a repeated (session, client message id) after a restart, without a new number', () => {
      const first = store.appendMessage(newMessage({ clientMsgId: 'retry-me' }));
      store.markLogged(first.event.num);
      reopen();
      const again = store.appendMessage(newMessage({ clientMsgId: 'retry-me' }));
      expect(again).toEqual({ event: first.event, duplicate: true, logged: true });
      expect(store.lastSeq('general')).toBe(1);
    });
  });
});

describe('SqlStore on SQLite: files made by earlier versions', () => {
  it('opens a database made before sessions had a protocol column: its sessions are protocol 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'warren-store-'));
    const older = join(dir, 'older');
    mkdirSync(older);
    const db = new Database(join(older, 'warren.db'));
    db.exec(`CREATE TABLE sessions (session_id TEXT PRIMARY KEY, token TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
      name_key TEXT NOT NULL UNIQUE, client_id TEXT NOT NULL, reply_queue TEXT NOT NULL, since TEXT NOT NULL)`);
    const record: Omit<SessionRecord, 'protocol'> & { protocol?: number } = session();
    delete record.protocol;
    db.prepare('INSERT INTO sessions VALUES (@sessionId, @token, @name, @nameKey, @clientId, @replyQueue, @since)').run(record);
    db.close();
    const store = openSqliteStore(older);
    expect(store.sessionTable.all()).toEqual([{ ...record, protocol: 1, lastSeenMs: 0 }]);
    // A session of that version gets its look-alike keys at the next start: its name is then taken.
    store.sessionTable.startOver(lookalikeKeys, 7000);
    expect(store.sessionTable.find('token', record.token)).toMatchObject({ lastSeenMs: 7000 });
    const upper = lookalikeKeys('ALICE');
    expect(store.sessionTable.claim({ ...session({ sessionId: 'session-c', token: 'token-c-0123456789012345', name: 'ALICE', nameKey: 'alice2' }), lastSeenMs: 1, lookalikeKey: upper.key, typedKey: upper.typedKey })).toBe(false);
    const bob = lookalikeKeys('Bob');
    store.sessionTable.claim({ ...session({ sessionId: 'session-b', token: 'token-b-0123456789012345', nameKey: 'bob', name: 'Bob' }), lastSeenMs: 1, lookalikeKey: bob.key, typedKey: bob.typedKey });
    expect(store.sessionTable.all().map((saved) => saved.protocol)).toEqual([1, 2]);
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

});
