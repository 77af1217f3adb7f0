import { randomUUID } from 'node:crypto';
import { SERVER_SETTINGS, parseServerSettings, serverCommand } from '../../server/config.js';
import { PresenceWatch, type QueueState } from '../../server/legacy/presence.js';
import { chatLine, decodeLegacy, epochSecondsFromIso, isoFromEpochSeconds, legacyDeadLetterBody, sentMessageEntry } from '../../server/legacy/protocol.js';
import { isLegacyQueue, isLegacySession, legacyReplyQueue } from '../../server/legacy/sessions.js';
import type { Session } from '../../server/state/registry.js';
import { ERROR_CODES, WarrenError, addSettingFlags, type ErrorCode } from '../../shared/index.js';
import { chatEvent } from '../support/samples.js';
import { waitFor } from '../support/wait.js';

const UUID = '3b241101-e2bb-4255-8caf-4136c566a962';
const ID = '0f8fad5b-d9cb-469f-a165-70867728950e';

function request(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: ID, type: 'message', username: 'ana', client_uuid: UUID, timestamp: 1714564800.25, message: 'hola', ...overrides };
}

function without(field: string, base = request()): Record<string, unknown> {
  const copy = { ...base };
  delete copy[field];
  return copy;
}

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

describe('decodeLegacy', () => {
  it.each(['login', 'users_list', 'user_messages_list', 'disconnect'])('reads a %s request', (type) => {
    const decoded = decodeLegacy(json(without('message', request({ type }))));
    expect(decoded).toEqual({ ok: true, value: { id: ID, type, username: 'ana', client_uuid: UUID, timestamp: 1714564800.25 } });
  });

  it('reads a message, ignoring fields other forks of the client add', () => {
    expect(decodeLegacy(json(request({ password: 'x' })))).toEqual({ ok: true, value: without('password', request()) });
  });

  it.each<[string, Buffer, ErrorCode]>([
    ['not JSON', Buffer.from('{nope'), ERROR_CODES.MALFORMED_JSON],
    ['empty', Buffer.alloc(0), ERROR_CODES.MALFORMED_JSON],
    ['a JSON array', json([request()]), ERROR_CODES.INVALID_MESSAGE],
    ['JSON null', json(null), ERROR_CODES.INVALID_MESSAGE],
    ['a number', json(42), ERROR_CODES.INVALID_MESSAGE],
    ['no type', json(without('type')), ERROR_CODES.INVALID_MESSAGE],
    ['a type that is not a string', json(request({ type: 7 })), ERROR_CODES.INVALID_MESSAGE],
    ['an unknown type', json(request({ type: 'register' })), ERROR_CODES.UNKNOWN_TYPE],
    ['no id', json(without('id')), ERROR_CODES.INVALID_MESSAGE],
    ['an id that is no uuid', json(request({ id: 'abc' })), ERROR_CODES.INVALID_MESSAGE],
    ['no username', json(without('username')), ERROR_CODES.INVALID_MESSAGE],
    ['a username that is not a string', json(request({ username: ['ana'] })), ERROR_CODES.INVALID_MESSAGE],
    ['no client_uuid', json(without('client_uuid')), ERROR_CODES.INVALID_MESSAGE],
    ['a client_uuid that is no uuid', json(request({ client_uuid: '../../etc' })), ERROR_CODES.INVALID_MESSAGE],
    ['no timestamp', json(without('timestamp')), ERROR_CODES.INVALID_MESSAGE],
    ['a timestamp as text', json(request({ timestamp: '1714564800.25' })), ERROR_CODES.INVALID_MESSAGE],
    ['a negative timestamp', json(request({ timestamp: -5 })), ERROR_CODES.INVALID_MESSAGE],
    ['a timestamp past the year 9999', json(request({ timestamp: 1e13 })), ERROR_CODES.INVALID_MESSAGE],
    ['a message without text', json(without('message')), ERROR_CODES.INVALID_MESSAGE],
    ['text that is not a string', json(request({ message: null })), ERROR_CODES.INVALID_MESSAGE],
    ['a body over the size limit', json(request({ message: 'x'.repeat(20_000) })), ERROR_CODES.PAYLOAD_TOO_LARGE],
  ])('refuses %s', (_label, body, code) => {
    const decoded = decodeLegacy(body);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) {
      expect(decoded.code).toBe(code);
      expect(decoded.message.length).toBeGreaterThan(5);
    }
  });

  it('names the field at fault', () => {
    const decoded = decodeLegacy(json(request({ client_uuid: 'nope' })));
    expect(!decoded.ok && decoded.message).toMatch(/^client_uuid: /);
  });

  it('keeps what it could read of a refused request, to answer it and label the log line', () => {
    const decoded = decodeLegacy(json(request({ type: 'register' })));
    expect(decoded).toMatchObject({ ok: false, requestId: ID, clientUuid: UUID, username: 'ana' });
    const unreadable = decodeLegacy(json(request({ type: 'register', client_uuid: 'x', id: 5, username: {} })));
    expect(unreadable).toEqual({ ok: false, code: ERROR_CODES.UNKNOWN_TYPE, message: expect.any(String) });
  });
});

describe('legacyDeadLetterBody', () => {
  it('blanks the client uuid, the only credential of a legacy client', () => {
    expect(JSON.parse(legacyDeadLetterBody(json(request())).toString('utf8'))).toEqual(request({ client_uuid: '[redacted]' }));
  });

  it.each([
    ['not JSON', Buffer.from('{nope')],
    ['an array', json([request()])],
    ['an object without client_uuid', json(without('client_uuid'))],
  ])('keeps %s as it came', (_label, body) => {
    expect(legacyDeadLetterBody(body).equals(body)).toBe(true);
  });
});

describe('timestamps', () => {
  it('turns epoch seconds into ISO-8601 UTC with milliseconds', () => {
    expect(isoFromEpochSeconds(1714564800.25)).toBe('2024-05-01T12:00:00.250Z');
    expect(isoFromEpochSeconds(1714564800.1234567)).toBe('2024-05-01T12:00:00.123Z');
    expect(isoFromEpochSeconds(0)).toBe('1970-01-01T00:00:00.000Z');
  });

  it('turns warren timestamps back into epoch seconds', () => {
    expect(epochSecondsFromIso('2024-05-01T12:00:00.250Z')).toBe(1714564800.25);
  });
});

describe('legacy shapes', () => {
  const event = chatEvent(3, { from: 'wanda', text: 'hi', clientMsgId: ID, clientTs: '2024-05-01T12:00:00.500Z', serverTs: '2024-05-01T12:00:01.000Z' });

  it('puts a chat message on broadcast in the request shape, with the server time', () => {
    expect(chatLine(event, UUID)).toEqual({ id: ID, type: 'message', username: 'wanda', client_uuid: UUID, message: 'hi', timestamp: 1714564801 });
  });

  it('lists a sent message as the JSON string of its request, with the client time', () => {
    expect(JSON.parse(sentMessageEntry(event, UUID))).toEqual({ id: ID, type: 'message', username: 'wanda', client_uuid: UUID, message: 'hi', timestamp: 1714564800.5 });
  });

  it('marks legacy sessions by a reply queue no client can declare', () => {
    const queue = legacyReplyQueue(UUID);
    expect(queue.startsWith('amq.')).toBe(true);
    expect(isLegacyQueue(queue)).toBe(true);
    expect(isLegacySession({ replyQueue: queue })).toBe(true);
    expect(isLegacySession({ replyQueue: `warren.client.${UUID}` })).toBe(false);
  });
});

describe('the legacy setting', () => {
  it('is off by default', () => {
    expect(parseServerSettings([], {}).legacy).toBe(false);
  });

  it('is read from WARREN_LEGACY and from --legacy', () => {
    expect(parseServerSettings([], { WARREN_LEGACY: '1' }).legacy).toBe(true);
    expect(parseServerSettings([], { WARREN_LEGACY: 'off' }).legacy).toBe(false);
    expect(parseServerSettings(['--legacy'], {}).legacy).toBe(true);
  });

  it('refuses a value it cannot read, naming the variable', () => {
    let error: unknown;
    try {
      parseServerSettings([], { WARREN_LEGACY: 'maybe' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(WarrenError);
    expect(error).toMatchObject({ code: ERROR_CODES.CONFIG_INVALID, message: expect.stringContaining('WARREN_LEGACY') });
  });

  it('is documented in --help', () => {
    expect(addSettingFlags(serverCommand(), SERVER_SETTINGS).helpInformation()).toContain('WARREN_LEGACY');
  });
});

describe('PresenceWatch', () => {
  function session(name: string, sinceMsAgo: number): Session {
    return {
      sessionId: randomUUID(),
      token: randomUUID(),
      name,
      nameKey: name,
      clientId: `${name}-uuid`,
      protocol: 1,
      replyQueue: legacyReplyQueue(`${name}-uuid`),
      since: new Date(Date.now() - sinceMsAgo).toISOString(),
      lastSeenMs: Date.now() - sinceMsAgo,
    };
  }

  function watchWith(sessions: Session[], states: Record<string, QueueState | Error>) {
    const gone: string[] = [];
    const errors: unknown[] = [];
    const probed: string[] = [];
    const watch = new PresenceWatch({
      intervalMs: 1000,
      sessions: () => sessions,
      probe: async (queue) => {
        probed.push(queue);
        const state = states[queue] ?? 'unknown';
        if (state instanceof Error) throw state;
        return state;
      },
      onGone: (s) => gone.push(s.name),
      onError: (err) => errors.push(err),
    });
    return { watch, gone, errors, probed };
  }

  it('reports the sessions whose queue is gone, and only those', async () => {
    const sessions = [session('gone', 5000), session('alive', 5000), session('unsure', 5000), session('broken', 5000)];
    const { watch, gone, errors } = watchWith(sessions, {
      'gone-uuid': 'gone',
      'alive-uuid': 'present',
      'unsure-uuid': 'unknown',
      'broken-uuid': new Error('probe failed'),
    });
    await watch.check();
    expect(gone).toEqual(['gone']);
    expect(errors).toHaveLength(1);
    await watch.stop();
  });

  it('leaves a session younger than one interval alone: its client may still be declaring its queue', async () => {
    const { watch, gone, probed } = watchWith([session('new', 10)], { 'new-uuid': 'gone' });
    await watch.check();
    expect(probed).toEqual([]);
    expect(gone).toEqual([]);
    await watch.stop();
  });

  it('runs rounds on its timer and never two at once', async () => {
    let running = 0;
    let overlap = false;
    let rounds = 0;
    const watch = new PresenceWatch({
      intervalMs: 20,
      sessions: () => [session('slow', 5000)],
      probe: async () => {
        running += 1;
        if (running > 1) overlap = true;
        await new Promise((resolve) => setTimeout(resolve, 30));
        running -= 1;
        rounds += 1;
        return 'present';
      },
      onGone: () => undefined,
      onError: () => undefined,
    });
    watch.start();
    void watch.check();
    await waitFor(() => rounds >= 3, 'three rounds');
    await watch.stop();
    const after = rounds;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(rounds).toBe(after);
    expect(overlap).toBe(false);
  });
});
