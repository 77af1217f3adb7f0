import { randomUUID } from 'node:crypto';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { clientQueueOptions, type SecureTopology } from '../../shared/secure-topology.js';
import { publishConfirmed, type Attacker } from './attacker.js';
import { waitFor } from './wait.js';

/** A reply or event the attacker's own queue received, parsed. */
export interface Received {
  body: Record<string, unknown>;
  userId: unknown;
}

/**
 * The attacker speaking the warren protocol by hand, as a client the coordinator knows: its own
 * queue, its own broker-checked `userId` on every input, and whatever body it likes. Used for the
 * attempts only the coordinator can refuse (the broker lets them through: they are well-formed
 * publishes to `<ns>.input` by a logged-in user).
 */
export class WireAttacker {
  readonly received: Received[] = [];
  /** Why the broker closed its channel, if it did. */
  readonly channelErrors: string[] = [];
  token: string | undefined;
  private beat: NodeJS.Timeout | undefined;
  /** Told of every line it sends as itself (the stage's ledger may show those). */
  onOwnLine: ((line: { from: string; room: string; text: string }) => void) | undefined;
  name: string | undefined;
  private channel!: ConfirmChannel;

  constructor(
    readonly attacker: Attacker,
    readonly topology: SecureTopology,
  ) {}

  get clientId(): string {
    return this.attacker.clientId;
  }

  get queue(): string {
    return this.topology.clientQueue(this.attacker.clientId);
  }

  /**
   * Declares its queue and reads it (what a client does before logging in). `queueArguments`
   * replace the usual ones, and `read: false` leaves the queue unread (for dead-lettering tricks).
   */
  async open(options: { queueArguments?: Record<string, unknown>; read?: boolean } = {}): Promise<void> {
    this.channel = await this.attacker.connection.createConfirmChannel();
    this.channel.on('error', (err: Error) => this.channelErrors.push(err.message));
    await this.channel.assertQueue(this.queue, options.queueArguments ? { ...clientQueueOptions(), arguments: options.queueArguments } : clientQueueOptions());
    if (options.read === false) return;
    await this.channel.consume(this.queue, (msg: ConsumeMessage | null) => {
      if (!msg) return;
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(msg.content.toString('utf8')) as Record<string, unknown>;
      } catch {
        body = { unparsed: msg.content.toString('utf8') };
      }
      this.received.push({ body, userId: msg.properties.userId });
    }, { noAck: true });
  }

  /** Publishes one input, with its own userId unless `options` says otherwise, and waits for the broker's confirm. */
  async publish(kind: 'chat' | 'command', body: Buffer | object, options: { userId?: string | null; replyTo?: string } = {}): Promise<void> {
    const userId = options.userId === undefined ? this.clientId : options.userId;
    await publishConfirmed(this.channel, this.topology.inputExchange, kind === 'chat' ? this.topology.chatRoutingKey : this.topology.commandRoutingKey, body, {
      persistent: true,
      ...(userId === null ? {} : { userId }),
      ...(options.replyTo === undefined ? {} : { replyTo: options.replyTo }),
    });
  }

  /** The reply to `requestId` (or the chat message id) on its own queue. */
  async reply(requestId: string, timeoutMs = 8000): Promise<Record<string, unknown>> {
    const found = await waitFor(() => this.received.find((r) => r.body.requestId === requestId), () => `a reply to ${requestId}; received ${JSON.stringify(this.received.map((r) => r.body.type))}`, timeoutMs);
    return found.body;
  }

  /** Whether a reply to `requestId` arrives within `ms` (for refusals nobody is told about). */
  async replyWithin(requestId: string, ms: number): Promise<Record<string, unknown> | undefined> {
    return waitFor(() => this.received.find((r) => r.body.requestId === requestId), 'a reply', ms).then((r) => r.body, () => undefined);
  }

  /** A command with a fresh requestId (and its session token, once logged in); resolves with the reply. */
  async command(type: string, fields: Record<string, unknown> = {}, options: { userId?: string | null; replyTo?: string; timeoutMs?: number } = {}): Promise<Record<string, unknown>> {
    const requestId = randomUUID();
    await this.publish('command', { type, requestId, ...(this.token && type !== 'login' ? { token: this.token } : {}), ...fields }, options);
    return this.reply(requestId, options.timeoutMs);
  }

  /** Logs in as `name` the way the protocol says; resolves with the reply (login.ok or an error). */
  async login(name: string, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const reply = await this.command('login', { name, clientId: this.clientId, clientTs: new Date().toISOString(), ...extra });
    if (reply.type === 'login.ok') {
      this.token = String(reply.token);
      this.name = String(reply.name);
      // What a client does next: follow presence and general (allowed once the id is bound).
      await this.channel.bindQueue(this.queue, this.topology.eventsExchange, 'presence');
      await this.channel.bindQueue(this.queue, this.topology.eventsExchange, 'room.general');
      // And keep the session alive as a client does, so the attacks run on a live session.
      const every = typeof reply.heartbeatIntervalMs === 'number' ? reply.heartbeatIntervalMs : 5000;
      this.beat = setInterval(() => void this.command('heartbeat', {}, { timeoutMs: every }).catch(() => undefined), every);
      this.beat.unref();
    }
    return reply;
  }

  /** A chat line with a fresh id; resolves with the id (the accepted `message` or an error carries it). */
  async chat(fields: Record<string, unknown>, options: { userId?: string | null } = {}): Promise<string> {
    const id = randomUUID();
    const body: Record<string, unknown> = { type: 'chat', id, token: this.token, from: this.name, room: 'general', text: 'x', clientTs: new Date().toISOString(), ...fields };
    // Its own line, under its own name, is no forgery if shown (whatever `from` the body claims).
    if (this.name !== undefined && typeof body.text === 'string') this.onOwnLine?.({ from: this.name, room: typeof body.to === 'string' ? `dm:${[this.name, body.to].sort().join(':')}` : String(body.room), text: body.text });
    await this.publish('chat', body, options);
    return id;
  }

  /** The first error reply with one of `codes`, waiting for it (a refusal whose requestId could not be read carries none). */
  async errorWith(codes: string[], timeoutMs = 8000): Promise<Record<string, unknown>> {
    const found = await waitFor(() => this.received.find((r) => r.body.type === 'error' && codes.includes(String(r.body.code))), `an error ${codes.join('/')}`, timeoutMs);
    return found.body;
  }

  /** Stops its heartbeat (the session then ends by timeout, unless it logs out). */
  stopHeartbeat(): void {
    if (this.beat) clearInterval(this.beat);
    this.beat = undefined;
  }

  /** Everything received whose requestId or clientMsgId is `id`. */
  about(id: string): Received[] {
    return this.received.filter((r) => r.body.requestId === id || r.body.clientMsgId === id);
  }
}
