import type amqplib from 'amqplib';
import { WarrenClient } from '../../client/lib/warren-client.js';
import { ERROR_CODES, type ChatEvent, type ServerMessage } from '../../shared/index.js';
import { OPEN_MODE, amqpUrl, rawChannel, uniqueNamespace } from '../support/broker.js';
import { startCoordinator, type RunningCoordinator } from '../support/coordinator.js';
import { linesOfKind } from '../support/log-lines.js';
import { RawPeer, body, expectDeadLetterOf, isoNow } from '../support/raw-peer.js';
import { RawWire } from '../support/raw-wire.js';
import { bytes, chatEvent, loginRequest } from '../support/samples.js';
import { waitFor } from '../support/wait.js';

/**
 * Where replies go and who may speak as whom: each reply reaches the client that asked and no
 * other, cannot be redirected, is there before the client asks; and a sender cannot be forged.
 */
/** Logs a raw peer in with its own queue as the reply path; returns its token. */
async function rawLogin(wire: RawWire, name: string): Promise<string> {
  await wire.send('command', bytes(loginRequest({ requestId: `${name}-login`, name, clientId: wire.clientId })));
  const reply = await wire.replyTo(`${name}-login`);
  expect(reply.body).toMatchObject({ type: 'login.ok', name });
  return String(reply.body.token);
}

describe('reply paths', () => {
  let running: RunningCoordinator | undefined;
  const opened: { close(): Promise<void> }[] = [];

  afterEach(async () => {
    for (const resource of opened.splice(0)) await resource.close();
    await running?.stop();
    running = undefined;
  });

  it('are private: every reply reaches the client that asked and no other', async () => {
    running = await startCoordinator();
    const a = await RawWire.open(running.namespace, { watchDeadLetters: false });
    const b = await RawWire.open(running.namespace, { watchDeadLetters: false });
    opened.push(a, b);
    const tokens = { a: await rawLogin(a, 'alice'), b: await rawLogin(b, 'bob') };

    const kinds = ['users', 'mymsgs', 'history', 'heartbeat', 'users', 'mymsgs'];
    // Interleaved, so both are in flight at once.
    for (const [index, type] of kinds.entries()) {
      await a.send('command', bytes({ type, requestId: `a-${index}`, token: tokens.a }));
      await b.send('command', bytes({ type, requestId: `b-${index}`, token: tokens.b }));
    }
    await waitFor(() => a.replies.length === kinds.length + 1 && b.replies.length === kinds.length + 1, 'every reply');

    const ids = (wire: RawWire): string[] => wire.replies.map((reply) => String(reply.body.requestId)).sort();
    expect(ids(a)).toEqual(['alice-login', ...kinds.map((_, index) => `a-${index}`)].sort());
    expect(ids(b)).toEqual(['bob-login', ...kinds.map((_, index) => `b-${index}`)].sort());
    for (const reply of [...a.replies, ...b.replies]) expect(reply.correlationId).toBe(reply.body.requestId);
  });

  it('cannot be redirected: a request with alice’s token naming bob’s queue is answered on alice’s queue', async () => {
    running = await startCoordinator();
    const a = await RawWire.open(running.namespace, { watchDeadLetters: false });
    const b = await RawWire.open(running.namespace, { watchDeadLetters: false });
    opened.push(a, b);
    const token = await rawLogin(a, 'alice');
    await rawLogin(b, 'bob');

    for (const type of ['mymsgs', 'users', 'history']) {
      await a.send('command', bytes({ type, requestId: `redirect-${type}`, token }), { replyTo: b.replyQueue });
      expect((await a.replyTo(`redirect-${type}`)).body.type).not.toBe('error');
    }
    // Each request has exactly one reply; it arrived at alice, so it was not at bob.
    expect(b.replies.map((reply) => reply.body.requestId)).toEqual(['bob-login']);
  });

  it('exist before the client asks: its queue is bound and holds what arrives before the login reply', async () => {
    running = await startCoordinator();
    const client = await running.client();
    const wire = await RawWire.open(running.namespace, { watchDeadLetters: false });
    opened.push(wire);
    const received: ChatEvent[] = [];
    client.on('message', (event) => received.push(event));
    // Published to the room before we log in: it reaches us only if our queue was already bound.
    const early = chatEvent(1, { text: 'sent before the login reply', serverTs: new Date().toISOString() });
    await wire.publishEvent(running.coordinator.topology.roomRoutingKey('general'), early);
    const login = await client.login('alice');
    expect(login.lastSeq).toBe(0);
    await waitFor(() => received.length === 1, 'the early message to be delivered after login');
    expect(received[0]).toEqual(early);
  });

  it('survive a coordinator that starts after the client asked: the login waits in the queue and its reply arrives', async () => {
    const namespace = uniqueNamespace();
    const client = new WarrenClient({ amqpUrl: amqpUrl(), namespace, security: OPEN_MODE, requestTimeoutMs: 20_000 });
    opened.push(client);
    await client.connect();
    const login = client.login('early-bird');
    running = await startCoordinator({ namespace });
    await expect(login).resolves.toMatchObject({ name: 'early-bird' });
    expect(await client.users()).toEqual([{ name: 'early-bird', since: expect.any(String) }]);
  });
});

describe('private reply paths', () => {
  let running: RunningCoordinator;
  let carol: RawPeer;
  let tap: { channel: amqplib.ConfirmChannel; close(): Promise<void> };
  const published: { routingKey: string; content: Buffer }[] = [];

  beforeEach(async () => {
    running = await startCoordinator();
    carol = await RawPeer.open(running.namespace);
    // Everything the coordinator publishes through the topic exchange, whatever the routing key.
    tap = await rawChannel();
    const { queue } = await tap.channel.assertQueue('', { exclusive: true, autoDelete: true });
    await tap.channel.bindQueue(queue, carol.topology.eventsExchange, '#');
    await tap.channel.consume(queue, (msg) => {
      if (msg) published.push({ routingKey: msg.fields.routingKey, content: msg.content });
    }, { noAck: true });
  });

  afterEach(async () => {
    published.length = 0;
    await tap.close();
    await carol.close();
    await running.stop();
  });

  it("never lets a reply to A reach B, nor pass through the exchange everyone reads", async () => {
    const alice = await running.client();
    const aliceLogin = await alice.login('alice');
    const clientId = carol.replyQueue.slice(carol.topology.clientQueuePrefix.length);
    await carol.send('command', body({ type: 'login', requestId: 'carol-login', name: 'carol', clientId }));
    await carol.reply((reply) => reply.body.type === 'login.ok', "carol's login");

    // Alice's requests, answered and refused.
    await alice.users();
    await alice.send('hello from alice');
    await alice.myMessages();
    await alice.history();
    await expect(alice.send('to a room that is not there', { room: 'nowhere' })).rejects.toMatchObject({ code: ERROR_CODES.UNKNOWN_ROOM });
    await alice.logout();

    // A request of carol's answered after all of alice's: anything misrouted to carol came before it.
    await carol.send('command', body({ type: 'users', requestId: 'carol-users', token: tokenOf(carol, 'carol-login') }));
    await carol.reply((reply) => reply.body.type === 'users.list', "the answer to carol's /users");
    expect(carol.replies.map((reply) => [reply.body.type, requestIdOf(reply.body)])).toEqual([
      ['login.ok', 'carol-login'],
      ['users.list', 'carol-users'],
    ]);

    // Only broadcasts went through the exchange, and none carries alice's token.
    const types = published.map(({ content }) => (JSON.parse(content.toString('utf8')) as ServerMessage).type);
    // Presence changes close in time may come coalesced, as one presence.batch.
    expect(new Set(types.map((type) => (type === 'presence.batch' ? 'presence' : type)))).toEqual(new Set(['presence', 'message']));
    for (const { content } of published) expect(content.toString('utf8')).not.toContain(aliceLogin.token);
  });

  it("answers a session's requests on that session's own queue, whatever replyTo the request names", async () => {
    const alice = await running.client();
    await alice.login('alice');
    const clientId = carol.replyQueue.slice(carol.topology.clientQueuePrefix.length);
    await carol.send('command', body({ type: 'login', requestId: 'carol-login', name: 'carol', clientId }));
    await carol.reply((reply) => reply.body.type === 'login.ok', "carol's login");
    const token = tokenOf(carol, 'carol-login');

    // Pointing replyTo at alice's queue does not make alice receive carol's answers.
    const aliceQueue = alice.topology.clientQueue(alice.clientId);
    await carol.send('command', body({ type: 'users', requestId: 'redirected', token }), aliceQueue);
    await carol.send('command', body({ type: 'mymsgs', requestId: 'redirected-too', token }), aliceQueue);
    await carol.reply((reply) => reply.body.type === 'mymsgs.list', 'the /mymsgs answer on carol\'s own queue');
    expect(carol.replies.map((reply) => requestIdOf(reply.body))).toEqual(['carol-login', 'redirected', 'redirected-too']);
  });

  it("keeps a client's queue to that client alone: another connection cannot consume it", async () => {
    const alice = await running.client();
    await alice.login('alice');
    const intruder = await rawChannel();
    try {
      const closed = new Promise<Error>((resolve) => intruder.channel.once('error', resolve));
      await expect(intruder.channel.consume(alice.topology.clientQueue(alice.clientId), () => undefined)).rejects.toThrow(/RESOURCE_LOCKED|exclusive/i);
      expect(String(await closed)).toMatch(/405|RESOURCE_LOCKED/);
    } finally {
      await intruder.close();
    }
    // Alice is unaffected.
    expect((await alice.users()).map((user) => user.name)).toEqual(['alice']);
  });
});

describe('forged sender', () => {
  let running: RunningCoordinator;
  let raw: RawPeer;
  let alice: WarrenClient;
  let bob: WarrenClient;
  let bobToken: string;
  const seenByAlice: ChatEvent[] = [];
  const seenByBob: ChatEvent[] = [];

  beforeEach(async () => {
    running = await startCoordinator();
    raw = await RawPeer.open(running.namespace);
    alice = await running.client();
    bob = await running.client();
    await alice.login('alice');
    bobToken = (await bob.login('bob')).token;
    alice.on('message', (event) => seenByAlice.push(event));
    bob.on('message', (event) => seenByBob.push(event));
  });

  afterEach(async () => {
    seenByAlice.length = 0;
    seenByBob.length = 0;
    await raw.close();
    await running.stop();
  });

  it.each([
    ['alice, who is online', 'alice'],
    ['mallory, who is not', 'mallory'],
  ])("refuses bob's valid token on a message claiming to be from %s: FORGED_SENDER, logged, dead-lettered", async (_who, claimed) => {
    const forged = body({ type: 'chat', id: 'forged-1', token: bobToken, from: claimed, text: `I am ${claimed}, trust me`, clientTs: isoNow() });
    await raw.send('chat', forged);

    const reply = await raw.reply((candidate) => candidate.body.type === 'error', 'the error reply');
    expect(reply.body).toMatchObject({ type: 'error', code: ERROR_CODES.FORGED_SENDER, requestId: 'forged-1' });

    const [rejected, ...more] = linesOfKind(running.logLines(), 'REJECTED');
    expect(more).toEqual([]);
    expect(rejected?.fields).toMatchObject({ code: ERROR_CODES.FORGED_SENDER, from: claimed, request: 'forged-1', queue: raw.topology.chatQueue });
    expect(rejected?.fields.reason).toContain('bob');

    const copy = await raw.nextDeadLetter('the forged message');
    expectDeadLetterOf(copy.content, forged);
    expect(copy.content.toString('utf8')).not.toContain(bobToken);
    expect(copy.headers['x-warren-error-code']).toBe(ERROR_CODES.FORGED_SENDER);

    // The same token with bob's own name is accepted: the claim was the only fault.
    await raw.send('chat', body({ type: 'chat', id: 'honest-1', token: bobToken, from: 'bob', text: 'really bob', clientTs: isoNow() }));
    await waitFor(() => [seenByAlice, seenByBob].every((seen) => seen.some((event) => event.clientMsgId === 'honest-1')), 'both to see the honest message');

    expect([...seenByAlice, ...seenByBob].map((event) => event.text)).toEqual(['really bob', 'really bob']);
    expect((await alice.history()).messages.map((event) => [event.from, event.text])).toEqual([['bob', 'really bob']]);
    expect(linesOfKind(running.logLines(), 'MESSAGE').map((line) => [line.fields.from, line.fields.text])).toEqual([['bob', 'really bob']]);
  });
});

function requestIdOf(message: ServerMessage): string | undefined {
  return 'requestId' in message ? message.requestId : undefined;
}

function tokenOf(peer: RawPeer, loginRequestId: string): string {
  const login = peer.replies.find((reply) => reply.body.type === 'login.ok' && reply.body.requestId === loginRequestId);
  if (login?.body.type !== 'login.ok') throw new Error(`no login.ok for ${loginRequestId}`);
  return login.body.token;
}
