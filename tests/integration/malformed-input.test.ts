import { randomBytes } from 'node:crypto';
import type { WarrenClient } from '../../client/lib/warren-client.js';
import { ERROR_CODES, LIMITS, type ChatEvent, type ErrorCode } from '../../shared/index.js';
import { startCoordinator, type RunningCoordinator } from '../support/coordinator.js';
import { linesOfKind } from '../support/log-lines.js';
import { RawWire, expectDeadLetterCopy } from '../support/raw-wire.js';
import { bytes, chatMessage, loginRequest, without } from '../support/samples.js';
import { waitFor } from '../support/wait.js';

/**
 * Every kind of broken input, sent raw to both input queues of one long-running coordinator.
 * Each must be refused with its own code (a reply where a reply is possible), logged as REJECTED
 * and copied to the dead-letter queue; after each one the coordinator must still serve a normal
 * message, and everything accepted so far must be in the log and the store exactly once.
 */
interface Session {
  token: string;
  name: string;
}

type ReplyPath = 'mine' | 'none' | 'outside';

interface BadInput {
  what: string;
  body: (session: Session) => Buffer;
  code: ErrorCode;
  replyTo?: ReplyPath;
  /** The id the refusal must carry back, when the input had a readable one. */
  requestId?: string;
}

const now = (): string => new Date().toISOString();
const UNKNOWN_TOKEN = `unknown-${'0'.repeat(24)}`;

const CHAT_CASES: BadInput[] = [
  { what: 'not JSON', body: () => bytes('hello, is this thing on?'), code: ERROR_CODES.MALFORMED_JSON },
  { what: 'bytes that are not UTF-8', body: () => Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), code: ERROR_CODES.MALFORMED_JSON },
  { what: 'a JSON array', body: (s) => bytes([chatMessage({ token: s.token, from: s.name, clientTs: now() })]), code: ERROR_CODES.INVALID_MESSAGE },
  { what: 'a JSON string', body: () => bytes('"chat"'), code: ERROR_CODES.INVALID_MESSAGE },
  { what: 'an object without a type', body: (s) => bytes(without(chatMessage({ token: s.token, from: s.name }), 'type')), code: ERROR_CODES.INVALID_MESSAGE },
  { what: 'an unknown type', body: (s) => bytes(chatMessage({ type: 'shout', token: s.token, from: s.name })), code: ERROR_CODES.UNKNOWN_TYPE },
  { what: 'a command on the chat queue', body: () => bytes(loginRequest({ requestId: 'login-on-chat' })), code: ERROR_CODES.UNKNOWN_TYPE },
  {
    what: 'a message without its timestamp',
    body: (s) => bytes(without(chatMessage({ id: 'no-ts', token: s.token, from: s.name }), 'clientTs')),
    code: ERROR_CODES.INVALID_MESSAGE,
    requestId: 'no-ts',
  },
  {
    what: 'a message without its text',
    body: (s) => bytes(without(chatMessage({ id: 'no-text', token: s.token, from: s.name, clientTs: now() }), 'text')),
    code: ERROR_CODES.INVALID_MESSAGE,
    requestId: 'no-text',
  },
  {
    what: 'a message with an extra field',
    body: (s) => bytes(chatMessage({ id: 'extra', token: s.token, from: s.name, clientTs: now(), admin: true })),
    code: ERROR_CODES.INVALID_MESSAGE,
    requestId: 'extra',
  },
  {
    what: 'a timestamp with an offset instead of UTC',
    body: (s) => bytes(chatMessage({ id: 'offset-ts', token: s.token, from: s.name, clientTs: '2024-05-01T14:00:00.000+02:00' })),
    code: ERROR_CODES.INVALID_MESSAGE,
    requestId: 'offset-ts',
  },
  {
    what: 'an oversize body',
    body: (s) => bytes(chatMessage({ token: s.token, from: s.name, clientTs: now(), text: 'x'.repeat(LIMITS.maxPayloadBytes) })),
    code: ERROR_CODES.PAYLOAD_TOO_LARGE,
  },
  {
    what: 'too long a text',
    body: (s) => bytes(chatMessage({ id: 'long', token: s.token, from: s.name, clientTs: now(), text: 'y'.repeat(LIMITS.maxTextLength + 1) })),
    code: ERROR_CODES.TEXT_TOO_LONG,
    requestId: 'long',
  },
  {
    what: 'an empty text',
    body: (s) => bytes(chatMessage({ id: 'empty', token: s.token, from: s.name, clientTs: now(), text: '' })),
    code: ERROR_CODES.TEXT_EMPTY,
    requestId: 'empty',
  },
  {
    what: 'a text of only white space',
    body: (s) => bytes(chatMessage({ id: 'blank', token: s.token, from: s.name, clientTs: now(), text: ' \n\t ' })),
    code: ERROR_CODES.TEXT_EMPTY,
    requestId: 'blank',
  },
  {
    what: 'a token nobody was given',
    body: (s) => bytes(chatMessage({ id: 'bad-token', token: UNKNOWN_TOKEN, from: s.name, clientTs: now() })),
    code: ERROR_CODES.SESSION_UNKNOWN,
    requestId: 'bad-token',
  },
  {
    what: 'an unknown room',
    body: (s) => bytes(chatMessage({ id: 'no-room', token: s.token, from: s.name, clientTs: now(), room: 'nowhere' })),
    code: ERROR_CODES.UNKNOWN_ROOM,
    requestId: 'no-room',
  },
  { what: 'not JSON, and no replyTo', body: () => bytes('{{{'), code: ERROR_CODES.MALFORMED_JSON, replyTo: 'none' },
  {
    what: 'a bad token, and a replyTo outside the namespace',
    body: (s) => bytes(chatMessage({ id: 'outside', token: UNKNOWN_TOKEN, from: s.name, clientTs: now() })),
    code: ERROR_CODES.SESSION_UNKNOWN,
    replyTo: 'outside',
  },
];

const COMMAND_CASES: BadInput[] = [
  { what: 'not JSON', body: () => bytes('/users please'), code: ERROR_CODES.MALFORMED_JSON },
  { what: 'a JSON array', body: (s) => bytes([{ type: 'users', requestId: 'in-array', token: s.token }]), code: ERROR_CODES.INVALID_MESSAGE },
  { what: 'JSON null', body: () => bytes('null'), code: ERROR_CODES.INVALID_MESSAGE },
  { what: 'an unknown type', body: (s) => bytes({ type: 'dance', requestId: 'dance-1', token: s.token }), code: ERROR_CODES.UNKNOWN_TYPE, requestId: 'dance-1' },
  { what: 'a chat message on the command queue', body: (s) => bytes(chatMessage({ token: s.token, from: s.name, clientTs: now() })), code: ERROR_CODES.UNKNOWN_TYPE },
  { what: 'a request without its token', body: () => bytes({ type: 'users', requestId: 'no-token' }), code: ERROR_CODES.INVALID_MESSAGE, requestId: 'no-token' },
  {
    what: 'a login without a name',
    body: (s) => bytes(without(loginRequest({ requestId: 'no-name', clientId: `x${s.name}` }), 'name')),
    code: ERROR_CODES.INVALID_MESSAGE,
    requestId: 'no-name',
  },
  { what: 'a request with an extra field', body: (s) => bytes({ type: 'users', requestId: 'extra-cmd', token: s.token, all: true }), code: ERROR_CODES.INVALID_MESSAGE, requestId: 'extra-cmd' },
  {
    what: 'an oversize body',
    body: (s) => bytes({ type: 'users', requestId: 'big', token: s.token, padding: 'p'.repeat(LIMITS.maxPayloadBytes) }),
    code: ERROR_CODES.PAYLOAD_TOO_LARGE,
  },
  { what: 'a token nobody was given', body: () => bytes({ type: 'users', requestId: 'bad-token-cmd', token: UNKNOWN_TOKEN }), code: ERROR_CODES.SESSION_UNKNOWN, requestId: 'bad-token-cmd' },
  {
    what: 'the history of an unknown room',
    body: (s) => bytes({ type: 'history', requestId: 'no-room-cmd', token: s.token, room: 'nowhere' }),
    code: ERROR_CODES.UNKNOWN_ROOM,
    requestId: 'no-room-cmd',
  },
  { what: 'a login without replyTo', body: () => bytes(loginRequest({ name: 'noreply', clientId: 'noreply' })), code: ERROR_CODES.INVALID_MESSAGE, replyTo: 'none' },
  {
    what: 'a login with a replyTo outside the namespace',
    body: () => bytes(loginRequest({ name: 'outsider', clientId: 'outsider' })),
    code: ERROR_CODES.INVALID_MESSAGE,
    replyTo: 'outside',
  },
  {
    what: 'a login whose replyTo is not its own client queue',
    body: () => bytes(loginRequest({ requestId: 'wrong-queue', name: 'wrongqueue', clientId: 'someone-else' })),
    code: ERROR_CODES.INVALID_MESSAGE,
    requestId: 'wrong-queue',
  },
];

describe.each([
  ['chat', CHAT_CASES],
  ['command', COMMAND_CASES],
] as const)('malformed input on the %s queue', (kind, cases) => {
  let running: RunningCoordinator;
  let wire: RawWire;
  let alice: WarrenClient;
  let session: Session;
  const seenByBob: ChatEvent[] = [];
  const accepted: ChatEvent[] = [];
  let outsideQueue: string;

  beforeAll(async () => {
    running = await startCoordinator();
    wire = await RawWire.open(running.namespace);
    // Another namespace's client queue: a reply must never be sent across namespaces.
    outsideQueue = await wire.ownQueue(`${running.namespace}x.client.spy-${randomBytes(4).toString('hex')}`);
    alice = await running.client();
    const bob = await running.client();
    const login = await alice.login('alice');
    session = { token: login.token, name: login.name };
    await bob.login('bob');
    bob.on('message', (event) => seenByBob.push(event));
  });

  afterAll(async () => {
    await wire.close();
    await running.stop();
  });

  it.each(cases)('refuses $what, and the coordinator carries on', async (input) => {
    const queueName = kind === 'chat' ? running.coordinator.topology.chatQueue : running.coordinator.topology.commandQueue;
    const rejectedBefore = linesOfKind(running.logLines(), 'REJECTED').length;
    const deadBefore = wire.deadLetters.length;
    const repliesBefore = wire.replies.length;
    const body = input.body(session);
    const path = input.replyTo ?? 'mine';
    await wire.send(kind, body, { replyTo: path === 'mine' ? wire.replyQueue : path === 'outside' ? outsideQueue : null });

    // Logged as rejected, with the code.
    const rejected = await waitFor(
      () => linesOfKind(running.logLines(), 'REJECTED')[rejectedBefore],
      'a REJECTED line in the chat log',
    );
    expect(rejected.fields).toMatchObject({ queue: queueName, code: input.code });

    // Copied to the dead-letter queue (token blanked), with the reason in its headers.
    const dead = await wire.deadLetter(deadBefore);
    expectDeadLetterCopy(dead.content, body);
    expect(dead.properties.headers).toMatchObject({ 'x-warren-error-code': input.code, 'x-warren-source-queue': queueName });
    expect(String(dead.properties.headers?.['x-warren-error-reason'])).not.toBe('');

    // An error reply where a reply was possible, and only there. The reply is published before
    // the dead-letter copy, so by now it would be in any queue it was sent to.
    if (path === 'mine') {
      const reply = await wire.reply(repliesBefore);
      expect(reply.body).toMatchObject({ type: 'error', code: input.code });
      expect(String(reply.body.message)).not.toBe('');
      if (input.requestId !== undefined) {
        expect(reply.body.requestId).toBe(input.requestId);
        expect(reply.correlationId).toBe(input.requestId);
      }
    }
    expect(wire.replies).toHaveLength(repliesBefore + (path === 'mine' ? 1 : 0));
    expect(await wire.messageCount(outsideQueue)).toBe(0);

    // Still serving: a normal message is accepted, fanned out, logged and stored.
    const normal = await alice.send(`still serving after ${input.what}`);
    accepted.push(normal);
    await waitFor(() => seenByBob.some((event) => event.id === normal.id), 'bob to receive the normal message');

    // Everything accepted so far is in the log and in the store exactly once, and nothing else is.
    const logged = linesOfKind(running.logLines(), 'MESSAGE').map((line) => line.fields.id);
    expect(logged).toEqual(accepted.map((event) => event.id));
    const history = await alice.history({ afterSeq: 0, limit: LIMITS.maxHistoryPage });
    expect(history.messages.map((event) => event.id)).toEqual(accepted.map((event) => event.id));
    expect(history.messages.map((event) => event.seq)).toEqual(accepted.map((_, index) => index + 1));
    expect(seenByBob.map((event) => event.id)).toEqual(accepted.map((event) => event.id));
  });
});
