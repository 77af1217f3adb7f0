import { directRoomName, directPeer, nameKey } from '../../shared/index.js';
import type { SqlStore } from '../../server/store/sql-store.js';
import type { NewMessage } from '../../server/store/store.js';
import { STORE_ENGINES, type StorePlace } from '../support/store-engines.js';

let place: StorePlace;
let store: SqlStore;
let counter = 0;
const TS = '2026-12-01T10:00:00.000Z';

/** Appends as the handlers do: the room exists (private chats created with both members first). */
function say(from: string, sessionId: string, text: string, room = 'general', to?: string): number {
  counter += 1;
  if (to !== undefined) {
    const name = directRoomName(from, to);
    store.createRoom({ name, kind: 'direct', createdBy: from, createdAt: TS, ttlMs: null });
    for (const person of [from, to]) {
      if (!store.member(name, nameKey(person))) store.addMember({ room: name, nameKey: nameKey(person), name: person, role: 'member' });
    }
    room = name;
  }
  const message: NewMessage = { id: `id-${counter}`, sessionId, clientMsgId: `c-${counter}`, room, from, text, clientTs: TS, serverTs: TS, ...(to === undefined ? {} : { to }) };
  return store.appendMessage(message).event.num;
}

function room(name: string, kind: 'public' | 'secret', admin: string): void {
  store.createRoom({ name, kind, createdBy: admin, createdAt: TS, ttlMs: null });
  store.addMember({ room: name, nameKey: nameKey(admin), name: admin, role: 'admin' });
}

const join_ = (name: string, who: string): void => store.addMember({ room: name, nameKey: nameKey(who), name: who, role: 'member' });
const texts = (roomName: string): string[] => store.history(roomName, { limit: 100 }).map((event) => event.text);

describe.each(STORE_ENGINES)('on $name', (engine) => {
  beforeEach(() => {
    place = engine.place();
    store = place.open();
  });

  afterEach(() => {
    store.close();
    place.remove();
  });

  describe('forgetting a guest: inputs that hold nothing', () => {
    it.each([
      ['a name that never existed', 'nobody'],
      ['the empty key', ''],
      ['a key with SQL wildcards', 'a%'],
      ['a key with the archive mark', 'alice~1'],
    ])('%s: changes nothing', (_what, key) => {
      room('lounge', 'public', 'alice');
      const num = say('alice', 's-alice', 'hi');
      say('alice', 's-alice', 'psst', 'general', 'bob');
      const before = { rooms: store.rooms(), members: store.roomsOf('alice'), message: store.message(num) };
      expect(store.forgetGuest(key)).toEqual({ leftRooms: [], promoted: [], deletedRooms: [], archivedDirect: [], deletedDirect: [], detachedMessages: 0 });
      expect({ rooms: store.rooms(), members: store.roomsOf('alice'), message: store.message(num) }).toEqual(before);
    });
  });

  describe('forgetting a guest: the next holder of the name inherits nothing', () => {
    let generalNum: number;
    let dmLastSeq: number;
    const dm = directRoomName('alice', 'bob');

    beforeEach(() => {
      // alice (a guest) has built up a life in one session.
      room('hideout', 'secret', 'alice');
      join_('hideout', 'bob');
      room('solo', 'secret', 'alice');
      say('alice', 's-alice', 'note to self', 'solo');
      room('lounge', 'public', 'alice');
      join_('lounge', 'carol');
      room('plaza', 'public', 'carol');
      join_('plaza', 'alice');
      generalNum = say('alice', 's-alice', 'hello all');
      say('alice', 's-alice', 'secret plans', 'hideout');
      say('alice', 's-alice', 'hi bob', 'general', 'bob');
      say('bob', 's-bob', 'hi alice', 'general', 'alice');
      store.markDelivered(dm, 'alice', 2);
      store.markDelivered(dm, 'bob', 1);
      say('alice', 's-alice', 'are you there?', 'general', 'bob'); // not yet delivered to bob
      say('bob', 's-bob', 'sent while she was away', 'general', 'alice'); // never delivered to alice
      say('bob', 's-bob', 'bob in general');
      dmLastSeq = store.lastSeq(dm);
    });

    it('drops memberships and roles, promotes the first remaining member, deletes a secret room left empty', () => {
      const result = store.forgetGuest('alice');
      expect(result.leftRooms).toEqual(['hideout', 'lounge', 'plaza', 'solo']);
      expect(result.promoted).toEqual([
        { room: 'hideout', nameKey: 'bob', name: 'bob' },
        { room: 'lounge', nameKey: 'carol', name: 'carol' },
      ]);
      expect(result.deletedRooms).toEqual(['solo']);
      expect(store.room('solo')).toBeUndefined();
      expect(store.roomsOf('alice')).toEqual([]);
      // The next alice (any letter case) is in nothing.
      expect(store.roomsOf(nameKey('ALICE'))).toEqual([]);
      expect(store.member('hideout', 'alice')).toBeUndefined();
      expect(store.members('plaza').map((m) => [m.nameKey, m.role])).toEqual([['carol', 'admin']]);
    });

    it('keeps the private chat for bob under an archived name, and leaves none of it to the next alice', () => {
      const result = store.forgetGuest('alice');
      const archived = 'dm:alice~1:bob';
      expect(result.archivedDirect).toEqual([{ from: dm, to: archived, keptFor: ['bob'] }]);
      expect(directPeer(archived, 'bob')).toBe('alice~1');
      // bob keeps the whole conversation, and still receives what alice sent him before she left.
      expect(texts(archived)).toEqual(['hi bob', 'hi alice', 'are you there?', 'sent while she was away']);
      expect(store.members(archived).map((m) => m.nameKey)).toEqual(['bob']);
      expect(store.undeliveredPrivate('bob').map((e) => [e.room, e.text])).toEqual([[archived, 'are you there?']]);
      // The next alice: no backlog, no history under the old name, no membership of either.
      expect(store.undeliveredPrivate('alice')).toEqual([]);
      expect(texts(dm)).toEqual([]);
      expect(store.members(dm)).toEqual([]);
      expect(store.member(archived, 'alice')).toBeUndefined();
      // The old name's row keeps its sequence, so a new chat numbers after the old one.
      expect(store.lastSeq(dm)).toBe(dmLastSeq);
      say('ALICE', 's-alice-2', 'hi, I am new', 'general', 'bob');
      expect(store.history(dm, { limit: 10 }).map((e) => [e.seq, e.text])).toEqual([[dmLastSeq + 1, 'hi, I am new']]);
      expect(texts(archived)).toHaveLength(4);
    });

    it('takes away the right to edit or delete her messages, which stay in the rooms for the others', () => {
      expect(store.message(generalNum)?.senderKey).toBe('alice');
      const result = store.forgetGuest('alice');
      expect(result.detachedMessages).toBe(4); // general, hideout and two private ones (solo was deleted)
      const message = store.message(generalNum);
      expect(message?.text).toBe('hello all');
      expect(message?.from).toBe('alice');
      expect(message?.senderKey).toBe('~s-alice');
      expect(message?.senderKey).not.toBe(nameKey('alice'));
      expect(texts('hideout')).toEqual(['secret plans']);
    });

    it('gives the next holder an empty /mymsgs, and leaves bob his', () => {
      store.forgetGuest('alice');
      expect(store.messagesOfSession('s-alice-2', 100)).toEqual([]);
      expect(store.messagesOfSession('s-bob', 100).map((e) => e.text)).toEqual(['hi alice', 'sent while she was away', 'bob in general']);
    });

    it('holds across a restart', () => {
      store.forgetGuest('alice');
      store.close();
      store = place.open();
      expect(store.roomsOf('alice')).toEqual([]);
      expect(store.undeliveredPrivate('alice')).toEqual([]);
      expect(texts('dm:alice~1:bob')).toHaveLength(4);
    });

    it('numbers a second archive of the same pair apart from the first', () => {
      store.forgetGuest('alice');
      say('alice', 's-alice-2', 'second alice here', 'general', 'bob');
      expect(store.forgetGuest('alice').archivedDirect).toEqual([{ from: dm, to: 'dm:alice~2:bob', keptFor: ['bob'] }]);
      expect(texts('dm:alice~2:bob')).toEqual(['second alice here']);
      expect(texts('dm:alice~1:bob')).toHaveLength(4);
    });

    it('deletes a private chat once both sides were guests and are gone', () => {
      store.forgetGuest('alice');
      const result = store.forgetGuest('bob');
      expect(result.deletedDirect).toEqual(['dm:alice~1:bob']);
      expect(store.room('dm:alice~1:bob')).toBeUndefined();
      expect(store.undeliveredPrivate('bob')).toEqual([]);
      expect(store.history('dm:alice~1:bob', { limit: 10 })).toEqual([]);
      // Public words stay where everyone saw them.
      expect(texts('general')).toEqual(['hello all', 'bob in general']);
    });

    it('runs inside a batch as part of the transaction that ends the session', () => {
      expect(() =>
        store.batch(() => {
          store.forgetGuest('alice');
          throw new Error('the session end failed');
        }),
      ).toThrow('the session end failed');
      expect(store.roomsOf('alice').map((m) => m.room)).toEqual([dm, 'hideout', 'lounge', 'plaza', 'solo']);
    });
  });
});
