import { randomUUID } from 'node:crypto';
import amqplib from 'amqplib';
import { amqpUrl } from '../support/broker.js';
import { waitFor } from '../support/wait.js';

/**
 * An Actividad 2 client, written from the protocol as issue 6 records it (not from warren's
 * code): requests as persistent JSON on `server_pending_messages` through the default exchange,
 * replies on an exclusive queue named after its uuid bound to `user_channel` (which it never
 * declares), chat from a server-named exclusive queue bound to `broadcast` (which it declares
 * itself as a fanout with default properties). Heartbeats off, like pika's `heartbeat=0`.
 */
export interface LegacyReplyBody {
  type: string;
  response: unknown;
}

export interface LegacyChatLine {
  id: string;
  type: string;
  username: string;
  client_uuid: string;
  message: string;
  timestamp: number;
}

export const LEGACY_NAMES = ['server_pending_messages', 'broadcast', 'user_channel'] as const;

export class LegacyClient {
  readonly clientUuid = randomUUID();
  readonly replies: LegacyReplyBody[] = [];
  readonly chat: LegacyChatLine[] = [];
  username = '';
  private readonly connection: amqplib.ChannelModel;
  private readonly channel: amqplib.Channel;
  private closed = false;

  private constructor(connection: amqplib.ChannelModel, channel: amqplib.Channel) {
    this.connection = connection;
    this.channel = channel;
  }

  /** Connects; with `listen` false the client's queues are left for `listen()` (to race its own login). */
  static async connect(options: { listen?: boolean } = {}): Promise<LegacyClient> {
    const url = new URL(amqpUrl());
    url.searchParams.set('heartbeat', '0');
    const connection = await amqplib.connect(url.toString());
    connection.on('error', () => undefined);
    const channel = await connection.createChannel();
    // A refused declaration closes the channel; without a listener amqplib would take the connection down too.
    channel.on('error', () => undefined);
    const client = new LegacyClient(connection, channel);
    if (options.listen !== false) await client.listen();
    return client;
  }

  async listen(): Promise<void> {
    // pika: queue_declare(queue=uuid, exclusive=True); queue_bind(exchange='user_channel', queue=uuid)
    // binds with the queue name as the routing key.
    await this.channel.assertQueue(this.clientUuid, { exclusive: true, durable: false, autoDelete: false });
    await this.channel.bindQueue(this.clientUuid, 'user_channel', this.clientUuid);
    await this.channel.consume(this.clientUuid, (msg) => {
      if (msg) this.replies.push(JSON.parse(msg.content.toString('utf8')) as LegacyReplyBody);
    }, { noAck: true });
    // pika: exchange_declare(exchange='broadcast', exchange_type='fanout'), all defaults.
    await this.channel.assertExchange('broadcast', 'fanout', { durable: false, autoDelete: false, internal: false });
    const { queue } = await this.channel.assertQueue('', { exclusive: true, durable: false });
    await this.channel.bindQueue(queue, 'broadcast', '');
    await this.channel.consume(queue, (msg) => {
      if (msg) this.chat.push(JSON.parse(msg.content.toString('utf8')) as LegacyChatLine);
    }, { noAck: true });
  }

  /** The request object those clients build; `timestamp` is epoch seconds as a float. */
  request(type: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { id: randomUUID(), type, username: this.username, client_uuid: this.clientUuid, timestamp: Date.now() / 1000, ...extra };
  }

  send(body: Record<string, unknown> | Buffer): void {
    const content = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    this.channel.sendToQueue('server_pending_messages', content, { contentType: 'text/plain', deliveryMode: 2 });
  }

  /** Resolves with the server's answer, "ok" or "nope"; on "ok" the client takes the name. */
  async login(name: string): Promise<string> {
    const from = this.replies.length;
    this.send({ ...this.request('login'), username: name });
    const reply = await this.nextReply('login', from);
    if (reply.response === 'ok') this.username = name;
    return reply.response as string;
  }

  say(text: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    const request = this.request('message', { message: text, ...extra });
    this.send(request);
    return request;
  }

  async users(): Promise<string[]> {
    const from = this.replies.length;
    this.send(this.request('users_list'));
    return (await this.nextReply('users_list', from)).response as string[];
  }

  async myMessages(): Promise<string[]> {
    const from = this.replies.length;
    this.send(this.request('user_messages_list'));
    return (await this.nextReply('user_messages', from)).response as string[];
  }

  disconnect(): void {
    this.send(this.request('disconnect'));
  }

  async nextReply(type: string, from = 0): Promise<LegacyReplyBody> {
    return waitFor(() => this.replies.slice(from).find((reply) => reply.type === type), () => `a "${type}" reply; replies so far: ${JSON.stringify(this.replies)}`);
  }

  async chatLine(match: (line: LegacyChatLine) => boolean, what: string): Promise<LegacyChatLine> {
    return waitFor(() => this.chat.find(match), () => `${what} on broadcast; lines so far: ${JSON.stringify(this.chat)}`);
  }

  /** The process dies without a word: the broker drops the connection and its exclusive queues. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.connection.close().catch(() => undefined);
  }
}

/** Legacy names are global on the broker: every legacy test removes them when done. */
export async function deleteLegacyNames(): Promise<void> {
  const connection = await amqplib.connect(amqpUrl());
  try {
    const channel = await connection.createChannel();
    await channel.deleteQueue('server_pending_messages');
    await channel.deleteExchange('broadcast');
    await channel.deleteExchange('user_channel');
    await channel.close();
  } finally {
    await connection.close();
  }
}
