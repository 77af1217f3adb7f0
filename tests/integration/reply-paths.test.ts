import { WarrenClient } from '../../client/lib/warren-client.js';
import type { ChatEvent } from '../../shared/index.js';
import { amqpUrl, uniqueNamespace } from '../support/broker.js';
import { startCoordinator, type RunningCoordinator } from '../support/coordinator.js';
import { RawWire } from '../support/raw-wire.js';
import { bytes, chatEvent, loginRequest } from '../support/samples.js';
import { waitFor } from '../support/wait.js';

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
    const client = new WarrenClient({ amqpUrl: amqpUrl(), namespace, requestTimeoutMs: 20_000 });
    opened.push(client);
    await client.connect();
    const login = client.login('early-bird');
    running = await startCoordinator({ namespace });
    await expect(login).resolves.toMatchObject({ name: 'early-bird' });
    expect(await client.users()).toEqual([{ name: 'early-bird', since: expect.any(String) }]);
  });
});
