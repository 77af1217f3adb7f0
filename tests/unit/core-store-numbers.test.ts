import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../server/store/sqlite-store.js';
import type { NewMessage } from '../../server/store/store.js';

/**
 * Numbers people and clients rely on: `num` (typed in /edit and /delete) must never point at a
 * different message later, and `seq` must never be handed out twice in a room, or clients would
 * take a new message for one they already showed.
 */
let dir: string;
let store: SqliteStore;
let counter = 0;

function message(overrides: Partial<NewMessage> = {}): NewMessage {
  counter += 1;
  return {
    id: `server-${counter}`,
    sessionId: 'session-a',
    clientMsgId: `client-${counter}`,
    room: 'general',
    from: 'alice',
    text: `message ${counter}`,
    clientTs: '2024-05-01T12:00:00.000Z',
    serverTs: '2024-05-01T12:00:01.000Z',
    ...overrides,
  };
}

const reopen = (): SqliteStore => {
  store.close();
  store = new SqliteStore(join(dir, 'data'));
  return store;
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'warren-core-store-'));
  store = new SqliteStore(join(dir, 'data'));
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SqliteStore: numbers are never reused', () => {
  it('gives a new message a num above that of the deleted latest one', () => {
    const nums = [1, 2, 3].map(() => store.appendMessage(message()).event.num);
    const last = nums[2] ?? 0;
    store.removeMessage(last);
    expect(store.message(last)).toBeUndefined();
    expect(store.appendMessage(message()).event.num).toBeGreaterThan(last);
  });

  it('keeps that promise across a restart', () => {
    const last = store.appendMessage(message()).event.num;
    store.removeMessage(last);
    reopen();
    expect(store.appendMessage(message()).event.num).toBeGreaterThan(last);
  });

  it('keeps a room counting on after its latest message is deleted', () => {
    [1, 2, 3].forEach(() => store.appendMessage(message()));
    const third = store.history('general', { limit: 1 })[0];
    store.removeMessage(third?.num ?? 0);
    expect(store.lastSeq('general')).toBe(3);
    expect(store.appendMessage(message()).event.seq).toBe(4);
    expect(store.history('general', { limit: 10 }).map((event) => event.seq)).toEqual([1, 2, 4]);
  });

  it('keeps nums unique across rooms while seq counts per room', () => {
    store.createRoom({ name: 'games', kind: 'public', createdBy: 'alice', createdAt: '2024-05-01T12:00:00.000Z', ttlMs: null });
    const events = [message(), message({ room: 'games' }), message(), message({ room: 'games' })].map((each) => store.appendMessage(each).event);
    expect(events.map((event) => [event.room, event.seq])).toEqual([['general', 1], ['games', 1], ['general', 2], ['games', 2]]);
    expect(new Set(events.map((event) => event.num)).size).toBe(4);
  });

  it('still recognises a repeated (session, client message id) after a restart, without a new number', () => {
    const first = store.appendMessage(message({ clientMsgId: 'retry-me' }));
    store.markLogged(first.event.id);
    reopen();
    const again = store.appendMessage(message({ clientMsgId: 'retry-me' }));
    expect(again).toEqual({ event: first.event, duplicate: true, logged: true });
    expect(store.lastSeq('general')).toBe(1);
  });
});
