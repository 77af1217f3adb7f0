import type { WarrenClient } from '../../client/lib/warren-client.js';
import { ERROR_CODES, LIMITS, type ChatEvent, type ErrorCode } from '../../shared/index.js';
import { uniqueNamespace } from '../support/broker.js';
import { startCoordinator, type RunningCoordinator } from '../support/coordinator.js';
import { linesOfKind } from '../support/log-lines.js';
import { waitFor } from '../support/wait.js';
import { RawPeer, body, expectDeadLetterOf, isoNow } from '../support/raw-peer.js';

/**
 * Every kind of bad input, sent raw to the chat queue and to the command queue of one running
 * coordinator. Each case checks the refusal (error reply where a valid replyTo was given, a
 * REJECTED log line, a dead-letter copy for broken or hostile input) and then that the
 * coordinator still serves a normal message and that every message accepted so far is in the log
 * and in history exactly once.
 */

interface Context {
  namespace: string;
  aliceToken: string;
  bobToken: string;
  raw: RawPeer;
  /** A client queue name in another namespace. */
  outsideQueue: string;
}

type ReplyTo = 'raw' | 'none' | 'outside' | 'coordinator-queue';

interface Case {
  what: string;
  queue: 'chat' | 'command';
  body: (ctx: Context) => Buffer;
  replyTo: ReplyTo;
  code: ErrorCode;
  /** The id the error reply and the log line carry, when the refused input had a readable one. */
  requestId?: string;
  deadLettered: boolean;
  /** The claimed sender the REJECTED line names. */
  from?: string;
}

const chat = (ctx: Context, overrides: Record<string, unknown>): Record<string, unknown> => ({
  type: 'chat',
  id: 'case-chat',
  token: ctx.aliceToken,
  from: 'alice',
  text: 'a message that must never be accepted',
  clientTs: isoNow(),
  ...overrides,
});

const without = (record: Record<string, unknown>, field: string): Record<string, unknown> => {
  const copy = { ...record };
  delete copy[field];
  return copy;
};

/** A valid message padded with JSON whitespace past the size limit: its size is its only fault. */
const oversize = (value: Record<string, unknown>): Buffer => {
  const json = JSON.stringify(value);
  return body(json + ' '.repeat(LIMITS.maxPayloadBytes + 1 - Buffer.byteLength(json)));
};

const UNKNOWN_TOKEN = 'this-token-was-never-issued-0123456789';

const CHAT_CASES: Case[] = [
  { what: 'not JSON', queue: 'chat', body: () => body('hello, I am not JSON'), replyTo: 'raw', code: ERROR_CODES.MALFORMED_JSON, deadLettered: true },
  { what: 'an empty body', queue: 'chat', body: () => Buffer.alloc(0), replyTo: 'raw', code: ERROR_CODES.MALFORMED_JSON, deadLettered: true },
  { what: 'truncated JSON', queue: 'chat', body: (ctx) => body(JSON.stringify(chat(ctx, {})).slice(0, 30)), replyTo: 'raw', code: ERROR_CODES.MALFORMED_JSON, deadLettered: true },
  { what: 'invalid UTF-8', queue: 'chat', body: () => Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), replyTo: 'raw', code: ERROR_CODES.MALFORMED_JSON, deadLettered: true },
  { what: 'a JSON array', queue: 'chat', body: (ctx) => body([chat(ctx, {})]), replyTo: 'raw', code: ERROR_CODES.INVALID_MESSAGE, deadLettered: true },
  { what: 'a JSON string', queue: 'chat', body: () => body('"hello"'), replyTo: 'raw', code: ERROR_CODES.INVALID_MESSAGE, deadLettered: true },
  { what: 'JSON null', queue: 'chat', body: () => body('null'), replyTo: 'raw', code: ERROR_CODES.INVALID_MESSAGE, deadLettered: true },
  { what: 'no type', queue: 'chat', body: (ctx) => body(without(chat(ctx, { id: 'case-no-type' }), 'type')), replyTo: 'raw', code: ERROR_CODES.INVALID_MESSAGE, deadLettered: true },
  { what: 'an unknown type', queue: 'chat', body: () => body({ type: 'shout', requestId: 'case-shout', text: 'hi' }), replyTo: 'raw', code: ERROR_CODES.UNKNOWN_TYPE, requestId: 'case-shout', deadLettered: true },
  { what: 'a command on the chat queue', queue: 'chat', body: (ctx) => body({ type: 'users', requestId: 'case-users-on-chat', token: ctx.aliceToken }), replyTo: 'raw', code: ERROR_CODES.UNKNOWN_TYPE, requestId: 'case-users-on-chat', deadLettered: true },
  { what: 'a missing text', queue: 'chat', body: (ctx) => body(without(chat(ctx, { id: 'case-no-text' }), 'text')), replyTo: 'raw', code: ERROR_CODES.INVALID_MESSAGE, requestId: 'case-no-text', deadLettered: true },
  { what: 'a missing token', queue: 'chat', body: (ctx) => body(without(chat(ctx, { id: 'case-no-token' }), 'token')), replyTo: 'raw', code: ERROR_CODES.INVALID_MESSAGE, requestId: 'case-no-token', deadLettered: true },
  { what: 'a text that is a number', queue: 'chat', body: (ctx) => body(chat(ctx, { id: 'case-number', text: 42 })), replyTo: 'raw', code: ERROR_CODES.INVALID_MESSAGE, requestId: 'case-number', deadLettered: true },
  { what: 'an extra field', queue: 'chat', body: (ctx) => body(chat(ctx, { id: 'case-extra', admin: true })), replyTo: 'raw', code: ERROR_CODES.INVALID_MESSAGE, requestId: 'case-extra', deadLettered: true },
  { what: 'a client time without milliseconds', queue: 'chat', body: (ctx) => body(chat(ctx, { id: 'case-ts', clientTs: '2024-05-01T12:00:00Z' })), replyTo: 'raw', code: ERROR_CODES.INVALID_MESSAGE, requestId: 'case-ts', deadLettered: true },
  { what: 'an oversize body', queue: 'chat', body: (ctx) => oversize(chat(ctx, { id: 'case-oversize', text: 'fits, but the body does not' })), replyTo: 'raw', code: ERROR_CODES.PAYLOAD_TOO_LARGE, deadLettered: true },
  { what: 'a too-long text', queue: 'chat', body: (ctx) => body(chat(ctx, { id: 'case-long', text: 'x'.repeat(LIMITS.maxTextLength + 1) })), replyTo: 'raw', code: ERROR_CODES.TEXT_TOO_LONG, requestId: 'case-long', deadLettered: true },
  { what: 'an empty text', queue: 'chat', body: (ctx) => body(chat(ctx, { id: 'case-empty', text: '' })), replyTo: 'raw', code: ERROR_CODES.TEXT_EMPTY, requestId: 'case-empty', deadLettered: true },
  { what: 'a text of blanks only', queue: 'chat', body: (ctx) => body(chat(ctx, { id: 'case-blank', text: ' \t\n ' })), replyTo: 'raw', code: ERROR_CODES.TEXT_EMPTY, requestId: 'case-blank', deadLettered: true },
  { what: 'a token never issued', queue: 'chat', body: (ctx) => body(chat(ctx, { id: 'case-bad-token', token: UNKNOWN_TOKEN })), replyTo: 'raw', code: ERROR_CODES.SESSION_UNKNOWN, requestId: 'case-bad-token', from: 'alice', deadLettered: true },
  { what: 'a token too short to be one', queue: 'chat', body: (ctx) => body(chat(ctx, { id: 'case-short-token', token: 'abc' })), replyTo: 'raw', code: ERROR_CODES.INVALID_MESSAGE, requestId: 'case-short-token', deadLettered: true },
  { what: 'an unknown room', queue: 'chat', body: (ctx) => body(chat(ctx, { id: 'case-room', room: 'nowhere' })), replyTo: 'raw', code: ERROR_CODES.UNKNOWN_ROOM, requestId: 'case-room', from: 'alice', deadLettered: true },
  { what: "another user's name with bob's token", queue: 'chat', body: (ctx) => body(chat(ctx, { id: 'case-forged', token: ctx.bobToken, from: 'alice' })), replyTo: 'raw', code: ERROR_CODES.FORGED_SENDER, requestId: 'case-forged', from: 'alice', deadLettered: true },
  { what: 'no replyTo', queue: 'chat', body: () => body('not JSON and nowhere to answer'), replyTo: 'none', code: ERROR_CODES.MALFORMED_JSON, deadLettered: true },
  { what: 'a replyTo outside the namespace', queue: 'chat', body: (ctx) => body(chat(ctx, { id: 'case-outside', text: '' })), replyTo: 'outside', code: ERROR_CODES.TEXT_EMPTY, requestId: 'case-outside', deadLettered: true },
  { what: "a replyTo naming the coordinator's own queue", queue: 'chat', body: () => body('[]'), replyTo: 'coordinator-queue', code: ERROR_CODES.INVALID_MESSAGE, deadLettered: true },
];

const COMMAND_CASES: Case[] = [
  { what: 'not JSON', queue: 'command', body: () => body('/users'), replyTo: 'raw', code: ERROR_CODES.MALFORMED_JSON, deadLettered: true },
  { what: 'a JSON array', queue: 'command', body: () => body([{ type: 'users' }]), replyTo: 'raw', code: ERROR_CODES.INVALID_MESSAGE, deadLettered: true },
  { what: 'a JSON number', queue: 'command', body: () => body('42'), replyTo: 'raw', code: ERROR_CODES.INVALID_MESSAGE, deadLettered: true },
  { what: 'a type that is not a string', queue: 'command', body: () => body({ type: 7, requestId: 'case-type-7' }), replyTo: 'raw', code: ERROR_CODES.INVALID_MESSAGE, requestId: 'case-type-7', deadLettered: true },
  { what: 'an unknown type', queue: 'command', body: (ctx) => body({ type: 'frobnicate', requestId: 'case-frob', token: ctx.aliceToken }), replyTo: 'raw', code: ERROR_CODES.UNKNOWN_TYPE, requestId: 'case-frob', deadLettered: true },
  { what: 'a chat message on the command queue', queue: 'command', body: (ctx) => body(chat(ctx, { id: 'case-chat-on-commands' })), replyTo: 'raw', code: ERROR_CODES.UNKNOWN_TYPE, requestId: 'case-chat-on-commands', deadLettered: true },
  { what: 'a missing token', queue: 'command', body: () => body({ type: 'users', requestId: 'case-users-no-token' }), replyTo: 'raw', code: ERROR_CODES.INVALID_MESSAGE, requestId: 'case-users-no-token', deadLettered: true },
  { what: 'a login without a clientId', queue: 'command', body: () => body({ type: 'login', requestId: 'case-login-no-client', name: 'carol' }), replyTo: 'raw', code: ERROR_CODES.INVALID_MESSAGE, requestId: 'case-login-no-client', deadLettered: true },
  { what: 'an extra field', queue: 'command', body: (ctx) => body({ type: 'users', requestId: 'case-users-extra', token: ctx.aliceToken, all: true }), replyTo: 'raw', code: ERROR_CODES.INVALID_MESSAGE, requestId: 'case-users-extra', deadLettered: true },
  { what: 'a history limit out of range', queue: 'command', body: (ctx) => body({ type: 'history', requestId: 'case-limit', token: ctx.aliceToken, limit: LIMITS.maxHistoryPage + 1 }), replyTo: 'raw', code: ERROR_CODES.INVALID_MESSAGE, requestId: 'case-limit', deadLettered: true },
  { what: 'an oversize body', queue: 'command', body: (ctx) => oversize({ type: 'users', requestId: 'case-big', token: ctx.aliceToken }), replyTo: 'raw', code: ERROR_CODES.PAYLOAD_TOO_LARGE, deadLettered: true },
  { what: 'a name longer than any request allows', queue: 'command', body: (ctx) => body({ type: 'login', requestId: 'case-long-name', name: 'n'.repeat(300), clientId: ctx.raw.replyQueue.slice(ctx.raw.topology.clientQueuePrefix.length) }), replyTo: 'raw', code: ERROR_CODES.INVALID_MESSAGE, requestId: 'case-long-name', deadLettered: true },
  { what: 'a token never issued', queue: 'command', body: () => body({ type: 'users', requestId: 'case-users-bad-token', token: UNKNOWN_TOKEN }), replyTo: 'raw', code: ERROR_CODES.SESSION_UNKNOWN, requestId: 'case-users-bad-token', deadLettered: true },
  { what: 'an unknown room', queue: 'command', body: (ctx) => body({ type: 'history', requestId: 'case-history-room', token: ctx.aliceToken, room: 'nowhere' }), replyTo: 'raw', code: ERROR_CODES.UNKNOWN_ROOM, requestId: 'case-history-room', deadLettered: true },
  { what: 'a login without replyTo', queue: 'command', body: () => body({ type: 'login', requestId: 'case-login-no-reply', name: 'carol', clientId: 'carol-client' }), replyTo: 'none', code: ERROR_CODES.INVALID_MESSAGE, requestId: 'case-login-no-reply', from: 'carol', deadLettered: true },
  { what: 'a login whose replyTo is outside the namespace', queue: 'command', body: (ctx) => body({ type: 'login', requestId: 'case-login-outside', name: 'carol', clientId: ctx.outsideQueue.split('.').pop() }), replyTo: 'outside', code: ERROR_CODES.INVALID_MESSAGE, requestId: 'case-login-outside', from: 'carol', deadLettered: true },
  { what: "a login whose replyTo is not its own client's queue", queue: 'command', body: () => body({ type: 'login', requestId: 'case-login-other-queue', name: 'carol', clientId: 'someone-else' }), replyTo: 'raw', code: ERROR_CODES.INVALID_MESSAGE, requestId: 'case-login-other-queue', from: 'carol', deadLettered: true },
  { what: "a replyTo naming the coordinator's own queue", queue: 'command', body: () => body({ type: 'nope', requestId: 'case-loop' }), replyTo: 'coordinator-queue', code: ERROR_CODES.UNKNOWN_TYPE, requestId: 'case-loop', deadLettered: true },
  // Refused but not dead-lettered: a wrong name is a user's mistake, not a broken input.
  { what: 'an invalid name', queue: 'command', body: (ctx) => body({ type: 'login', requestId: 'case-bad-name', name: 'two words', clientId: clientIdOf(ctx) }), replyTo: 'raw', code: ERROR_CODES.NAME_INVALID, requestId: 'case-bad-name', from: 'two words', deadLettered: false },
  { what: 'an empty name', queue: 'command', body: (ctx) => body({ type: 'login', requestId: 'case-empty-name', name: '', clientId: clientIdOf(ctx) }), replyTo: 'raw', code: ERROR_CODES.NAME_INVALID, requestId: 'case-empty-name', deadLettered: false },
  { what: 'a taken name in other letter case', queue: 'command', body: (ctx) => body({ type: 'login', requestId: 'case-taken', name: 'ALICE', clientId: clientIdOf(ctx) }), replyTo: 'raw', code: ERROR_CODES.NAME_TAKEN, requestId: 'case-taken', from: 'ALICE', deadLettered: false },
];

function clientIdOf(ctx: Context): string {
  return ctx.raw.replyQueue.slice(ctx.raw.topology.clientQueuePrefix.length);
}

describe('malformed and hostile input', () => {
  let running: RunningCoordinator;
  let raw: RawPeer;
  let alice: WarrenClient;
  let bob: WarrenClient;
  let ctx: Context;
  const accepted: ChatEvent[] = [];
  const bobSaw: ChatEvent[] = [];
  let sentinels = 0;
  let watcherToken = '';

  beforeAll(async () => {
    running = await startCoordinator();
    raw = await RawPeer.open(running.namespace);
    alice = await running.client();
    bob = await running.client();
    const aliceLogin = await alice.login('alice');
    const bobLogin = await bob.login('bob');
    bob.on('message', (event) => bobSaw.push(event));
    const outsideQueue = `${uniqueNamespace('outside')}.client.stranger`;
    await raw.declareQueue(outsideQueue);
    ctx = { namespace: running.namespace, aliceToken: aliceLogin.token, bobToken: bobLogin.token, raw, outsideQueue };
    // A session whose own queue is the raw peer's, so that its requests are answered there.
    await raw.send('command', body({ type: 'login', requestId: 'watcher-login', name: 'watcher', clientId: clientIdOf(ctx) }));
    const login = await raw.reply((reply) => reply.body.type === 'login.ok', "the watcher's login");
    watcherToken = login.body.type === 'login.ok' ? login.body.token : '';
    raw.replies.length = 0;
    accepted.push(await alice.send('accepted before any bad input'));
  });

  afterAll(async () => {
    await raw?.close();
    await running?.stop();
  });

  const replyToFor = (replyTo: ReplyTo): string | null => {
    switch (replyTo) {
      case 'raw':
        return raw.replyQueue;
      case 'none':
        return null;
      case 'outside':
        return ctx.outsideQueue;
      case 'coordinator-queue':
        return raw.topology.commandQueue;
    }
  };

  const rejectedLines = () => linesOfKind(running.logLines(), 'REJECTED');

  /** A request answered on our queue after everything sent before it: replies to earlier input have arrived by then. */
  const sentinel = async (): Promise<void> => {
    sentinels += 1;
    const requestId = `sentinel-${sentinels}`;
    await raw.send('command', body({ type: 'users', requestId, token: watcherToken }));
    await raw.reply((reply) => reply.body.type === 'users.list' && reply.body.requestId === requestId, `the answer to ${requestId}`);
  };

  it.each([...CHAT_CASES, ...COMMAND_CASES])('$queue queue, $what: refused with $code, and nothing accepted is lost', async (input) => {
    const queueName = input.queue === 'chat' ? raw.topology.chatQueue : raw.topology.commandQueue;
    const rejectedBefore = rejectedLines().length;
    const repliesBefore = raw.replies.length;
    const sent = input.body(ctx);

    await raw.send(input.queue, sent, replyToFor(input.replyTo));

    // The REJECTED line, naming the queue, the code, the claimed sender and the request id.
    const line = await waitFor(() => rejectedLines()[rejectedBefore], `a REJECTED line for ${input.what}`);
    expect(line.fields.code).toBe(input.code);
    expect(line.fields.queue).toBe(queueName);
    expect(line.fields.reason?.length).toBeGreaterThan(0);
    expect(line.fields.request).toBe(input.requestId);
    if (input.from !== undefined) expect(line.fields.from).toBe(input.from);

    // The error reply, only where a valid replyTo was given.
    await sentinel();
    const errors = raw.replies.slice(repliesBefore).filter((reply) => reply.body.type === 'error');
    if (input.replyTo === 'raw') {
      expect(errors).toHaveLength(1);
      expect(errors[0]?.body).toMatchObject({ type: 'error', code: input.code, message: expect.stringMatching(/\S/) });
      if (input.requestId !== undefined) {
        expect(errors[0]?.body).toMatchObject({ requestId: input.requestId });
        expect(errors[0]?.correlationId).toBe(input.requestId);
      }
    } else {
      expect(errors).toEqual([]);
    }

    // The dead-letter copy: what was sent (its token blanked), with the reason in its headers.
    if (input.deadLettered) {
      const copy = await raw.nextDeadLetter(input.what);
      expectDeadLetterOf(copy.content, sent);
      expect(copy.headers['x-warren-error-code']).toBe(input.code);
      expect(copy.headers['x-warren-source-queue']).toBe(queueName);
      expect(String(copy.headers['x-warren-error-reason']).length).toBeGreaterThan(0);
    }

    // Still serving: a normal message is accepted and reaches another client.
    const probe = await alice.send(`still serving after ${input.queue}: ${input.what}`);
    accepted.push(probe);
    await waitFor(() => bobSaw.some((event) => event.id === probe.id), `bob to receive the probe after ${input.what}`);

    // Nothing dead-lettered that should not be, and the refusal was logged once.
    if (!input.deadLettered) expect(await raw.takeDeadLetter()).toBe(false);
    expect(rejectedLines()).toHaveLength(rejectedBefore + 1);

    // Every accepted message is in the log and in history exactly once, and nothing else is.
    const logged = linesOfKind(running.logLines(), 'MESSAGE').map((entry) => entry.fields.id);
    expect(logged).toEqual(accepted.map((event) => event.id));
    const history = await alice.history({ limit: LIMITS.maxHistoryPage });
    expect(history.messages.map((event) => event.id)).toEqual(accepted.map((event) => event.id));
    expect(history.lastSeq).toBe(accepted.length);
  });

  it('answered no one outside the namespace, and dead-lettered nothing beyond the cases above', async () => {
    await sentinel();
    expect(await raw.take(ctx.outsideQueue)).toBe(false);
    expect(await raw.takeDeadLetter()).toBe(false);
  });

  it('showed other clients each accepted message once, and never a refused one', () => {
    expect(bobSaw.map((event) => event.id)).toEqual(accepted.map((event) => event.id));
    expect(bobSaw.map((event) => event.from)).toEqual(accepted.map(() => 'alice'));
  });
});
