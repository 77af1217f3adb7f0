import {
  ERROR_CODES,
  ERROR_CODE_LIST,
  PRESENCE_ROUTING_KEY,
  WarrenError,
  isValidNamespace,
  isWarrenError,
  isoNow,
  isoTimestamp,
  serverMessageSchema,
  topologyFor,
} from '../../shared/index.js';
import { SAMPLE_TS, chatEvent } from '../support/samples.js';

describe('error codes', () => {
  it('are stable strings equal to their own names, so they can be relied on across versions', () => {
    for (const [key, code] of Object.entries(ERROR_CODES)) expect(code).toBe(key);
    expect(new Set(ERROR_CODE_LIST).size).toBe(ERROR_CODE_LIST.length);
  });

  it('travel on a WarrenError that tests and callers can match by code', () => {
    const cause = new Error('root');
    const error = new WarrenError(ERROR_CODES.NAME_TAKEN, 'taken', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.cause).toBe(cause);
    expect(isWarrenError(error, ERROR_CODES.NAME_TAKEN)).toBe(true);
    expect(isWarrenError(error, ERROR_CODES.NAME_INVALID)).toBe(false);
    expect(isWarrenError(new Error('plain'))).toBe(false);
  });
});

describe('timestamps', () => {
  it('are written as ISO-8601 UTC with milliseconds, which the schema accepts', () => {
    const stamp = isoNow(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)));
    expect(stamp).toBe('2024-01-02T03:04:05.006Z');
    expect(isoTimestamp.safeParse(stamp).success).toBe(true);
    expect(isoNow()).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});

describe('messages from the coordinator', () => {
  it('parse a chat event, a presence event and an error reply', () => {
    expect(serverMessageSchema.parse(chatEvent(3))).toMatchObject({ type: 'message', seq: 3 });
    const left = { type: 'presence', event: 'left', name: 'bob', reason: 'timeout', serverTs: SAMPLE_TS, online: 1 };
    expect(serverMessageSchema.parse(left)).toEqual(left);
    const error = { type: 'error', requestId: 'r1', code: 'NAME_TAKEN', message: 'taken' };
    expect(serverMessageSchema.parse(error)).toEqual(error);
  });

  it.each([
    ['an error with a code outside the table', { type: 'error', code: 'OOPS', message: 'x' }],
    ['a chat event with a local-time server timestamp', { ...chatEvent(1), serverTs: '2024-05-01T14:00:00.000+02:00' }],
    ['a chat event with a negative seq', { ...chatEvent(1), seq: -1 }],
    ['a presence event with an unknown reason', { type: 'presence', event: 'left', name: 'b', reason: 'kicked', serverTs: SAMPLE_TS, online: 0 }],
    ['an unknown type', { type: 'surprise' }],
  ])('refuse %s, so a client never acts on it', (_what, body) => {
    expect(serverMessageSchema.safeParse(body).success).toBe(false);
  });
});

describe('topology', () => {
  it('derives every exchange and queue name from the namespace', () => {
    const topology = topologyFor('team-a');
    expect(topology).toMatchObject({
      namespace: 'team-a',
      eventsExchange: 'team-a.events',
      chatQueue: 'team-a.chat',
      commandQueue: 'team-a.commands',
      deadLetterExchange: 'team-a.dead-letter',
      deadLetterQueue: 'team-a.dead-letter',
      clientQueuePrefix: 'team-a.client.',
    });
    expect(topology.clientQueue('c1')).toBe('team-a.client.c1');
    expect(topology.roomRoutingKey('general')).toBe('room.general');
    expect(PRESENCE_ROUTING_KEY).toBe('presence');
  });

  it('keeps two namespaces apart', () => {
    const names = (ns: string): string[] => {
      const t = topologyFor(ns);
      return [t.eventsExchange, t.chatQueue, t.commandQueue, t.deadLetterQueue, t.clientQueue('x')];
    };
    const a = names('a');
    for (const name of names('b')) expect(a).not.toContain(name);
  });

  it.each(['', 'Upper', 'has space', 'dot.ted', '-leading', 'x'.repeat(65), 'a/b'])('refuses the namespace %j', (namespace) => {
    expect(isValidNamespace(namespace)).toBe(false);
    expect(() => topologyFor(namespace)).toThrow(/namespace/);
  });
});
