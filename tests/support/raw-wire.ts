import { randomBytes } from 'node:crypto';
import type { ConsumeMessage } from 'amqplib';
import { topologyFor, type Topology } from '../../shared/index.js';
import { rawChannel } from './broker.js';
import { waitFor } from './wait.js';

export interface RawReply {
  body: Record<string, unknown>;
  correlationId: string | undefined;
}

/**
 * Speaks the protocol by hand, as a hostile or foreign client would: publishes raw bytes to the
 * input queues, reads replies on a private queue of the namespace, and watches the dead-letter
 * queue. Everything it receives is kept, so tests can assert on what did not arrive too.
 */
export class RawWire {
  readonly replies: RawReply[] = [];
  readonly deadLetters: ConsumeMessage[] = [];

  private constructor(
    readonly topology: Topology,
    /** A client queue of this namespace, consuming before anything is sent. */
    readonly replyQueue: string,
    readonly clientId: string,
    private readonly raw: Awaited<ReturnType<typeof rawChannel>>,
  ) {}

  static async open(namespace: string, options: { watchDeadLetters?: boolean } = {}): Promise<RawWire> {
    const topology = topologyFor(namespace);
    const raw = await rawChannel();
    const clientId = `raw-${randomBytes(6).toString('hex')}`;
    const wire = new RawWire(topology, topology.clientQueue(clientId), clientId, raw);
    await raw.channel.assertQueue(wire.replyQueue, { exclusive: true, autoDelete: true, durable: false });
    await raw.channel.consume(wire.replyQueue, (msg) => msg && wire.replies.push(readReply(msg)), { noAck: true });
    if (options.watchDeadLetters ?? true) {
      await raw.channel.consume(topology.deadLetterQueue, (msg) => msg && wire.deadLetters.push(msg), { noAck: true });
    }
    return wire;
  }

  /** Publishes bytes to the chat or command queue and waits for the broker to confirm them. */
  async send(kind: 'chat' | 'command', body: Buffer, options: { replyTo?: string | null; correlationId?: string } = {}): Promise<void> {
    const queue = kind === 'chat' ? this.topology.chatQueue : this.topology.commandQueue;
    const replyTo = options.replyTo === undefined ? this.replyQueue : options.replyTo;
    this.raw.channel.sendToQueue(queue, body, {
      persistent: true,
      contentType: 'application/json',
      ...(replyTo === null ? {} : { replyTo }),
      ...(options.correlationId === undefined ? {} : { correlationId: options.correlationId }),
    });
    await this.raw.channel.waitForConfirms();
  }

  /** Publishes to the events exchange, as only the coordinator should. */
  async publishEvent(routingKey: string, body: unknown): Promise<void> {
    this.raw.channel.publish(this.topology.eventsExchange, routingKey, Buffer.from(JSON.stringify(body)));
    await this.raw.channel.waitForConfirms();
  }

  /** Declares a queue of this connection (gone when it closes), e.g. one outside the namespace. */
  async ownQueue(name: string): Promise<string> {
    await this.raw.channel.assertQueue(name, { exclusive: true, autoDelete: true, durable: false });
    return name;
  }

  async messageCount(queue: string): Promise<number> {
    return (await this.raw.channel.checkQueue(queue)).messageCount;
  }

  /** The reply at `index` (0-based, in arrival order) once it has arrived. */
  reply(index: number, timeoutMs = 10_000): Promise<RawReply> {
    return waitFor(() => this.replies[index], () => `reply #${index + 1} on ${this.replyQueue} (have ${this.replies.length})`, timeoutMs);
  }

  /** A reply answering this request id, once it has arrived. */
  replyTo(requestId: string, timeoutMs = 10_000): Promise<RawReply> {
    return waitFor(() => this.replies.find((reply) => reply.body.requestId === requestId), `a reply to ${requestId}`, timeoutMs);
  }

  deadLetter(index: number, timeoutMs = 10_000): Promise<ConsumeMessage> {
    return waitFor(() => this.deadLetters[index], () => `dead letter #${index + 1} (have ${this.deadLetters.length})`, timeoutMs);
  }

  close(): Promise<void> {
    return this.raw.close();
  }
}

function readReply(msg: ConsumeMessage): RawReply {
  const correlationId = typeof msg.properties.correlationId === 'string' ? msg.properties.correlationId : undefined;
  return { body: JSON.parse(msg.content.toString('utf8')) as Record<string, unknown>, correlationId };
}

