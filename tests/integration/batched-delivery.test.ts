import { randomBytes } from 'node:crypto';
import { BATCH_TYPE, DEFAULT_ROOM, PROTOCOL_VERSION, topologyFor, type Topology } from '../../shared/index.js';
import { rawChannel } from '../support/broker.js';
import { startCoordinator, type RunningCoordinator } from '../support/coordinator.js';
import { bytes, loginRequest } from '../support/samples.js';
import { waitFor } from '../support/wait.js';

/** A client on the raw wire that records every delivery's body as it came, batches unopened. */
class DeliveryRecorder {
  readonly deliveries: Record<string, unknown>[] = [];
  token = '';

  private constructor(
    private readonly topology: Topology,
    readonly clientId: string,
    private readonly raw: Awaited<ReturnType<typeof rawChannel>>,
  ) {}

  static async open(namespace: string): Promise<DeliveryRecorder> {
    const topology = topologyFor(namespace);
    const raw = await rawChannel();
    const recorder = new DeliveryRecorder(topology, `rec-${randomBytes(6).toString('hex')}`, raw);
    const queue = topology.clientQueue(recorder.clientId);
    await raw.channel.assertQueue(queue, { exclusive: true, autoDelete: true, durable: false });
    await raw.channel.bindQueue(queue, topology.eventsExchange, topology.roomRoutingKey(DEFAULT_ROOM));
    await raw.channel.consume(queue, (msg) => msg && recorder.deliveries.push(JSON.parse(msg.content.toString('utf8')) as Record<string, unknown>), { noAck: true });
    return recorder;
  }

  /** Logs in, saying `protocol` (none: a version-1 client). */
  async login(name: string, protocol?: number): Promise<void> {
    await this.send('command', { ...loginRequest({ requestId: `${name}-login`, name, clientId: this.clientId }), ...(protocol === undefined ? {} : { protocol }) });
    const reply = await waitFor(() => this.items().find((item) => item.requestId === `${name}-login`), `${name}'s login reply`);
    expect(reply).toMatchObject({ type: 'login.ok' });
    this.token = String(reply.token);
  }

  /** Publishes `count` chat messages back to back, then waits for the broker's confirms. */
  async burst(name: string, count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      this.publish('chat', { type: 'chat', id: `${name}-${i}`, token: this.token, from: name, text: `${name} ${i}`, clientTs: new Date().toISOString() });
    }
    await this.raw.channel.waitForConfirms();
  }

  /** Publishes `count` requests of `type` back to back (ids `<name>-<type>-<i>`), then waits for the confirms. */
  async commandBurst(name: string, type: string, count: number): Promise<void> {
    for (let i = 0; i < count; i++) this.publish('command', { type, requestId: `${name}-${type}-${i}`, token: this.token });
    await this.raw.channel.waitForConfirms();
  }

  /** Every message received, batches opened, in arrival order. */
  items(): Record<string, unknown>[] {
    return this.deliveries.flatMap((body) => (body.type === BATCH_TYPE ? (body.items as Record<string, unknown>[]) : [body]));
  }

  batches(): number {
    return this.deliveries.filter((body) => body.type === BATCH_TYPE).length;
  }

  roomSeqs(): number[] {
    return this.items()
      .filter((item) => item.type === 'message' && item.room === DEFAULT_ROOM)
      .map((item) => Number(item.seq));
  }

  async close(): Promise<void> {
    await this.raw.close();
  }

  async send(kind: 'chat' | 'command', body: unknown): Promise<void> {
    this.publish(kind, body);
    await this.raw.channel.waitForConfirms();
  }

  private publish(kind: 'chat' | 'command', body: unknown): void {
    const queue = kind === 'chat' ? this.topology.chatQueue : this.topology.commandQueue;
    this.raw.channel.sendToQueue(queue, bytes(body), { persistent: true, contentType: 'application/json', replyTo: this.topology.clientQueue(this.clientId) });
  }
}

const BURST = 300;
const consecutive = (count: number): number[] => Array.from({ length: count }, (_, i) => i + 1);

describe('batched deliveries (protocol 2)', () => {
  let running: RunningCoordinator | undefined;
  const opened: DeliveryRecorder[] = [];

  afterEach(async () => {
    for (const recorder of opened.splice(0)) await recorder.close();
    await running?.stop();
    running = undefined;
  });

  it('a burst reaches a protocol-2 client in fewer deliveries than messages, every event and answer in order, none twice', async () => {
    running = await startCoordinator();
    const alice = await DeliveryRecorder.open(running.namespace);
    opened.push(alice);
    await alice.login('alice', PROTOCOL_VERSION);
    await alice.burst('alice', BURST);
    await waitFor(() => alice.roomSeqs().length >= BURST, () => `${BURST} room events (have ${alice.roomSeqs().length})`);
    expect(alice.roomSeqs()).toEqual(consecutive(BURST));
    expect(alice.batches()).toBeGreaterThan(0);

    const before = alice.deliveries.length;
    await alice.commandBurst('alice', 'users', BURST);
    const answers = (): Record<string, unknown>[] => alice.items().filter((item) => String(item.requestId).startsWith('alice-users-'));
    await waitFor(() => answers().length >= BURST, () => `${BURST} answers (have ${answers().length})`);
    expect(answers().map((answer) => answer.requestId)).toEqual(Array.from({ length: BURST }, (_, i) => `alice-users-${i}`));
    expect(answers().every((answer) => answer.type === 'users.list')).toBe(true);
    // The answers to one client share deliveries too.
    expect(alice.deliveries.length - before).toBeLessThan(BURST);
  });

  it('while a protocol-1 client is online every delivery carries one message, to it and to everyone', async () => {
    running = await startCoordinator();
    const alice = await DeliveryRecorder.open(running.namespace);
    const old = await DeliveryRecorder.open(running.namespace);
    opened.push(alice, old);
    await alice.login('alice', PROTOCOL_VERSION);
    await old.login('olduser');
    await alice.burst('alice', BURST);
    await old.burst('olduser', 20);
    await waitFor(() => old.roomSeqs().length >= BURST + 20 && alice.roomSeqs().length >= BURST + 20, 'every room event on both');

    expect(old.batches()).toBe(0);
    expect(old.roomSeqs()).toEqual(consecutive(BURST + 20));
    // Alice's own answers may still be batched (her client speaks 2); the room's events may not.
    expect(alice.deliveries.filter((body) => body.type === BATCH_TYPE && (body.items as { type: string }[]).some((item) => item.type === 'message'))).toEqual([]);
    expect(alice.roomSeqs()).toEqual(consecutive(BURST + 20));
  });

  it('batches the room again once the protocol-1 client has left', async () => {
    running = await startCoordinator();
    const alice = await DeliveryRecorder.open(running.namespace);
    const old = await DeliveryRecorder.open(running.namespace);
    opened.push(alice, old);
    await alice.login('alice', PROTOCOL_VERSION);
    await old.login('olduser');
    await old.send('command', { type: 'logout', requestId: 'old-out', token: old.token });
    await waitFor(() => old.items().some((item) => item.requestId === 'old-out'), 'the logout reply');
    await alice.burst('alice', BURST);
    await waitFor(() => alice.roomSeqs().length >= BURST, 'every room event');
    expect(alice.roomSeqs()).toEqual(consecutive(BURST));
    expect(alice.deliveries.some((body) => body.type === BATCH_TYPE && (body.items as { type: string }[]).some((item) => item.type === 'message'))).toBe(true);
  });
});
