import { jest } from '@jest/globals';
import { dispatchIncoming, parseIncoming, type IncomingHandlers } from '../../client/lib/incoming.js';
import { ERROR_CODES, REPLY_TYPE_OF, WarrenError, serverMessageSchema, type ServerMessage } from '../../shared/index.js';
import { SAMPLE_TOKEN, SAMPLE_TS, bytes, chatEvent } from '../support/samples.js';

const room = { name: 'ops', kind: 'public', role: 'admin', members: 1, online: 1, lastSeq: 0, ttlMs: null } as const;
const presence = { type: 'presence', event: 'joined', name: 'bob', serverTs: SAMPLE_TS, online: 2 } as const;

/** One valid message of every type the coordinator sends. */
const SAMPLES: ServerMessage[] = [
  chatEvent(1),
  presence,
  { type: 'presence.batch', changes: [presence], serverTs: SAMPLE_TS, online: 2 },
  {
    type: 'login.ok', requestId: 'r', name: 'alice', token: SAMPLE_TOKEN, serverTs: SAMPLE_TS, heartbeatIntervalMs: 5000, sessionTimeoutMs: 15000,
    room: 'general', lastSeq: 0, history: [], users: [], rooms: [], privateBacklog: [], active: true, minUsers: 1,
  },
  { type: 'users.list', requestId: 'r', users: [] },
  { type: 'mymsgs.list', requestId: 'r', messages: [] },
  { type: 'history.list', requestId: 'r', room: 'general', lastSeq: 0, messages: [] },
  { type: 'logout.ok', requestId: 'r' },
  { type: 'heartbeat.ok', requestId: 'r' },
  { type: 'register.ok', requestId: 'r', name: 'alice' },
  { type: 'error', requestId: 'r', code: ERROR_CODES.NAME_TAKEN, message: 'taken' },
  { type: 'message.updated', room: 'general', num: 1, seq: 2, text: 'x', editedAt: SAMPLE_TS },
  { type: 'message.removed', room: 'general', num: 1, seq: 2, reason: 'deleted', serverTs: SAMPLE_TS },
  { type: 'room.event', room: 'ops', event: 'joined', name: 'bob', serverTs: SAMPLE_TS },
  { type: 'activated', serverTs: SAMPLE_TS, online: 2 },
  { type: 'room.ok', requestId: 'r', room, history: [] },
  { type: 'rooms.list', requestId: 'r', rooms: [room] },
  { type: 'whois.info', requestId: 'r', name: 'bob', online: true, rooms: [] },
  { type: 'private.status', requestId: 'r', to: 'bob', delivered: true },
  { type: 'chat.held', requestId: 'r', room: 'general', seq: 1 },
  { type: 'done', requestId: 'r', message: 'ok' },
];

function recordingHandlers(): { handlers: IncomingHandlers; calls: [string, ServerMessage][] } {
  const calls: [string, ServerMessage][] = [];
  const record = (name: string) => (message: ServerMessage) => calls.push([name, message]);
  const handlers: IncomingHandlers = {
    message: record('message'),
    'message.updated': record('message.updated'),
    'message.removed': record('message.removed'),
    'room.event': record('room.event'),
    presence: record('presence'),
    'presence.batch': record('presence.batch'),
    activated: record('activated'),
    'chat.held': record('chat.held'),
    'private.status': record('private.status'),
    error: record('error'),
    reply: record('reply'),
  };
  return { handlers, calls };
}

describe('parseIncoming', () => {
  it.each([
    ['not JSON', Buffer.from('{nope')],
    ['not UTF-8 JSON', Buffer.from([0xff, 0xfe])],
    ['a JSON array', bytes([1, 2])],
    ['no type', bytes({ requestId: 'r' })],
    ['an unknown type', bytes({ type: 'surprise' })],
    ['a known type with a field missing', bytes({ type: 'users.list', requestId: 'r' })],
    ['an error with a code that never crosses the wire', bytes({ type: 'error', code: ERROR_CODES.REQUEST_TIMEOUT, message: 'x' })],
  ])('refuses %s as INVALID_MESSAGE', (_what, body) => {
    const parsed = parseIncoming(body);
    expect(parsed).toBeInstanceOf(WarrenError);
    expect((parsed as WarrenError).code).toBe(ERROR_CODES.INVALID_MESSAGE);
  });

  it.each(SAMPLES.map((sample) => [sample.type, sample] as const))('reads a %s', (_type, sample) => {
    expect(parseIncoming(bytes(sample))).toMatchObject({ type: sample.type });
  });
});

describe('dispatchIncoming', () => {
  it('has a sample of every message type the protocol defines', () => {
    const types = serverMessageSchema.options.map((option) => option.shape.type.value).sort();
    expect(SAMPLES.map((sample) => sample.type).sort()).toEqual(types);
  });

  const replyTypes = new Set<string>(Object.values(REPLY_TYPE_OF));

  it.each(SAMPLES.map((sample) => [sample.type, sample] as const))('hands a %s to its one handler', (type, sample) => {
    const { handlers, calls } = recordingHandlers();
    dispatchIncoming(sample, handlers);
    expect(calls).toEqual([[replyTypes.has(type) ? 'reply' : type, sample]]);
  });

  it('sends the answers of all 18 commands, and nothing else, to the reply handler', () => {
    const reply = jest.fn();
    const { handlers } = recordingHandlers();
    for (const sample of SAMPLES) dispatchIncoming(sample, { ...handlers, reply });
    expect(reply.mock.calls.map(([message]) => (message as ServerMessage).type).sort()).toEqual([...replyTypes].sort());
  });
});
