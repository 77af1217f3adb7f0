import { randomBytes } from 'node:crypto';
import type amqplib from 'amqplib';
import { topologyFor, type ServerMessage, type Topology } from '../../shared/index.js';
import { rawChannel } from './broker.js';
import { waitFor } from './wait.js';

export interface RawReply {
  body: ServerMessage;
  correlationId: string | undefined;
}

export interface DeadLetter {
  content: Buffer;
  headers: Record<string, unknown>;
}

/**
 * Speaks the protocol by hand with amqplib, for what the client library would never send:
 * malformed bodies, forged senders, odd `replyTo` values. It owns a reply queue inside the
 * namespace (`<ns>.client.<id>`, like a real client's) and records whatever arrives there.
 */
export class RawPeer {
  readonly replies: RawReply[] = [];

  private constructor(
    readonly topology: Topology,
    readonly replyQueue: string,
    private readonly channel: amqplib.ConfirmChannel,
    private readonly closeConnection: () => Promise<void>,
  ) {}

  static async open(namespace: string): Promise<RawPeer> {
    const topology = topologyFor(namespace);
    const { channel, close } = await rawChannel();
    const replyQueue = topology.clientQueue(`raw-${randomBytes(6).toString('hex')}`);
    const peer = new RawPeer(topology, replyQueue, channel, close);
    await channel.assertQueue(replyQueue, { exclusive: true, autoDelete: true, durable: false });
    await channel.consume(replyQueue, (msg) => {
      if (msg) peer.replies.push({ body: JSON.parse(msg.content.toString('utf8')) as ServerMessage, correlationId: msg.properties.correlationId as string | undefined });
    }, { noAck: true });
    return peer;
  }

  /** Publishes bytes to the chat or command queue and waits for the broker's confirm. `replyTo: null` sends none. */
  async send(queue: 'chat' | 'command', body: Buffer, replyTo: string | null = this.replyQueue, headers?: Record<string, unknown>): Promise<void> {
    const target = queue === 'chat' ? this.topology.chatQueue : this.topology.commandQueue;
    await new Promise<void>((resolve, reject) => {
      this.channel.sendToQueue(target, body, { persistent: true, contentType: 'application/json', ...(replyTo === null ? {} : { replyTo }), ...(headers ? { headers } : {}) }, (err) =>
        err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(),
      );
    });
  }

  /** Waits for a reply on our queue matching `match`, looking only at replies from index `from` on. */
  async reply(match: (reply: RawReply) => boolean, what: string, from = 0): Promise<RawReply> {
    return waitFor(() => this.replies.slice(from).find(match), () => `${what}; replies so far: ${JSON.stringify(this.replies.slice(from))}`);
  }

  /** The next copy in `<ns>.dead-letter`, waiting for it to arrive. */
  async nextDeadLetter(what: string): Promise<DeadLetter> {
    const msg = await waitFor(() => this.channel.get(this.topology.deadLetterQueue, { noAck: true }), `a dead-letter copy of ${what}`);
    return { content: msg.content, headers: (msg.properties.headers ?? {}) as Record<string, unknown> };
  }

  /** What is in `<ns>.dead-letter` now, without waiting (false when it is empty). */
  async takeDeadLetter(): Promise<DeadLetter | false> {
    const msg = await this.channel.get(this.topology.deadLetterQueue, { noAck: true });
    return msg ? { content: msg.content, headers: (msg.properties.headers ?? {}) as Record<string, unknown> } : false;
  }

  /** A queue of our own anywhere (outside the namespace too), to catch what should never reach it. */
  async declareQueue(name: string): Promise<void> {
    await this.channel.assertQueue(name, { exclusive: true, autoDelete: true, durable: false });
  }

  /** Takes one message off any queue, or false when it is empty. */
  async take(queue: string): Promise<Buffer | false> {
    const msg = await this.channel.get(queue, { noAck: true });
    return msg ? msg.content : false;
  }

  async close(): Promise<void> {
    await this.closeConnection();
  }
}

/** The UTF-8 JSON of a value, or the bytes of a string as it is. */
export function body(value: unknown): Buffer {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8');
}

/**
 * The dead-letter copy must be the refused input as it came, except that a session token in it is
 * blanked (whoever reads the dead-letter queue must not be able to send as its owner).
 */
export function expectDeadLetterOf(copy: Buffer, sent: Buffer): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(sent.toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && 'token' in parsed) {
    expect(JSON.parse(copy.toString('utf8'))).toEqual({ ...parsed, token: '[redacted]' });
    const { token } = parsed as { token: unknown };
    if (typeof token === 'string' && token.length >= 16) expect(copy.toString('utf8')).not.toContain(token);
  } else {
    expect(copy.equals(sent)).toBe(true);
  }
}

export function isoNow(): string {
  return new Date().toISOString();
}
